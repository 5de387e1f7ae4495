import Foundation
import IPMI
import Testing

// MARK: - Hex

/// Bytes from a hex literal in a test; records an issue (instead of trapping) on a malformed literal.
func hx(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
    guard let value = bytes(fromHex: text.filter { $0 != "|" }) else {
        Issue.record("malformed hex literal \(text)", sourceLocation: sourceLocation)
        return []
    }
    return value
}

/// Runs `body`, which must throw an `IPMIDecodingError` (with `code`, when given).
@discardableResult
func expectDecodingError<R>(_ code: IPMIDecodingError.Code? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: () throws -> R) -> IPMIDecodingError? {
    do {
        _ = try body()
        Issue.record("expected an IPMIDecodingError\(code.map { " (\($0))" } ?? "")", sourceLocation: sourceLocation)
        return nil
    } catch let error as IPMIDecodingError {
        if let code { #expect(error.code == code, "\(error)", sourceLocation: sourceLocation) }
        return error
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// `bytes(fromHex:)` under a name that local helpers called `bytes` do not shadow.
func hexBytes(_ text: String) -> [UInt8]? { bytes(fromHex: text) }

func le32(_ value: UInt32) -> [UInt8] {
    [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
     UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24)]
}

// MARK: - Known-answer vectors (Vectors/*.json)

struct KATFile: Decodable {
    var capture: String
    var sessions: [KATSession]
}

struct KATSession: Decodable {
    struct Cipher: Decodable {
        var auth: String
        var integ: String
        var conf: String
    }

    struct Inputs: Decodable {
        var user: String
        var password: String
        var kg: String?
        var consoleSessionId: String
        var bmcSessionId: String
        var rm: String
        var rc: String
        var guid: String
        var role: String
        var userLen: Int
    }

    var cipher: Cipher
    var inputs: Inputs
    var rakp2HmacInput: String
    var rakp2Hmac: String
    var rakp3HmacInput: String
    var rakp3Hmac: String
    var sikInput: String
    var sik: String
    var k1: String
    var k2: String
    var aesKey: String
    var rakp4IcvInput: String
    var rakp4Icv: String
    var packets: [KATPacket]
}

struct KATPacket: Decodable {
    var dir: String
    var packet: String
    var sessionSeq: UInt32
    var iv: String
    var ciphertext: String
    var ipmiMessage: String
    var authcode: String
    var decoded: String

    var fromConsole: Bool { dir == "console->bmc" }
}

/// One vector file with its inputs converted to the library's types.
struct KATVector: Sendable {
    let name: String
    let capture: String
    let suite: CipherSuite
    let username: [UInt8]
    let password: [UInt8]
    let inputs: RAKPInputs
    let rakp2AuthCode: [UInt8]
    let rakp3AuthCode: [UInt8]
    let rakp2Message: [UInt8]
    let rakp3Message: [UInt8]
    let sikMessage: [UInt8]
    let rakp4Message: [UInt8]
    let keys: SessionKeys
    let aesKey: [UInt8]
    let rakp4ICV: [UInt8]
    let packets: [Packet]

    struct Packet: Sendable {
        let index: Int
        let fromConsole: Bool
        let bytes: [UInt8]
        let sequence: UInt32
        let iv: [UInt8]
        let ciphertext: [UInt8]
        let message: [UInt8]
        let authCode: [UInt8]
        /// Fields of the capture's own decoding (`rqSeq=01`, `cmd=3b`, `cc=00`, `netFn=07`, ...).
        let fields: [String: UInt8]
    }

    var crypto: SessionCrypto { SessionCrypto(suite: suite, keys: keys) }

    static let directory: URL? = Bundle.module.url(forResource: "Vectors", withExtension: nil)

    static let names: [String] = {
        guard let directory,
              let files = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return files.filter { $0.hasSuffix(".json") }.sorted()
    }()

    static func load(_ name: String) throws -> KATVector {
        let directory = try #require(directory, "Vectors resource directory missing")
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let file = try decoder.decode(KATFile.self, from: data)
        let session = try #require(file.sessions.first)
        return try KATVector(name: name, capture: file.capture, session: session)
    }

    static func loadAll() throws -> [KATVector] { try names.map(load) }

    private init(name: String, capture: String, session: KATSession) throws {
        func bytes(_ text: String) throws -> [UInt8] {
            let value = hexBytes(text)
            return try #require(value, "bad hex in \(name)")
        }
        func uint32(_ text: String) throws -> UInt32 { try #require(UInt32(text, radix: 16), "bad session ID in \(name)") }
        self.name = name
        self.capture = capture
        switch (session.cipher.auth, session.cipher.integ, session.cipher.conf) {
        case ("RAKP-HMAC-SHA1", "HMAC-SHA1-96", "AES-CBC-128"): suite = .suite3
        case ("RAKP-HMAC-SHA256", "HMAC-SHA256-128", "AES-CBC-128"): suite = .suite17
        default: throw VectorError.unknownCipher("\(session.cipher)")
        }
        let i = session.inputs
        #expect(i.kg == nil, "vectors are captured without Kg")
        username = Array(i.user.utf8)
        #expect(username.count == i.userLen)
        password = Array(i.password.utf8)
        let role = try #require(UInt8(i.role, radix: 16))
        inputs = RAKPInputs(
            consoleSessionID: try uint32(i.consoleSessionId), bmcSessionID: try uint32(i.bmcSessionId),
            consoleRandom: try bytes(i.rm), bmcRandom: try bytes(i.rc), bmcGUID: try bytes(i.guid), role: role,
            username: username)
        rakp2AuthCode = try bytes(session.rakp2Hmac)
        rakp3AuthCode = try bytes(session.rakp3Hmac)
        rakp2Message = try bytes(session.rakp2HmacInput)
        rakp3Message = try bytes(session.rakp3HmacInput)
        sikMessage = try bytes(session.sikInput)
        rakp4Message = try bytes(session.rakp4IcvInput)
        keys = SessionKeys(sik: try bytes(session.sik), k1: try bytes(session.k1), k2: try bytes(session.k2))
        aesKey = try bytes(session.aesKey)
        rakp4ICV = try bytes(session.rakp4Icv)
        packets = try session.packets.enumerated().map { index, packet in
            Packet(index: index, fromConsole: packet.fromConsole, bytes: try bytes(packet.packet), sequence: packet.sessionSeq,
                   iv: try bytes(packet.iv), ciphertext: try bytes(packet.ciphertext), message: try bytes(packet.ipmiMessage),
                   authCode: try bytes(packet.authcode), fields: Self.fields(of: packet.decoded))
        }
    }

    /// Parses `key=hh` pairs of the capture's decoding text (two hex digits only).
    static func fields(of decoded: String) -> [String: UInt8] {
        var out: [String: UInt8] = [:]
        for word in decoded.split(separator: " ") {
            let parts = word.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = parts[1].prefix(2)
            guard value.count == 2, let byte = UInt8(value, radix: 16) else { continue }
            out[String(parts[0])] = byte
        }
        return out
    }
}

enum VectorError: Error {
    case unknownCipher(String)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Set-up exchanges of the captures (frames 1-8 of vectors/*.txt, verbatim)

struct SetupCapture: Sendable {
    let vector: String
    let suite: CipherSuite
    let consoleSessionID: UInt32
    let bmcSessionID: UInt32
    let consoleRandom: [UInt8]
    let bmcRandom: [UInt8]
    /// Frames 1..8: auth caps request/response, open session request/response, RAKP 1..4.
    let frames: [[UInt8]]

    var authCapsRequest: [UInt8] { frames[0] }
    var authCapsResponse: [UInt8] { frames[1] }
    var openSessionRequest: [UInt8] { frames[2] }
    var openSessionResponse: [UInt8] { frames[3] }
    var rakp1: [UInt8] { frames[4] }
    var rakp2: [UInt8] { frames[5] }
    var rakp3: [UInt8] { frames[6] }
    var rakp4: [UInt8] { frames[7] }

    static let all: [SetupCapture] = [
        SetupCapture(
            vector: "kat_suite3_ipmitool_ipmisim_power_status.json", suite: .suite3,
            consoleSessionID: 0xA0A2_A3A4, bmcSessionID: 0x0000_1302,
            consoleRandom: hx("b80ff1f47f2d00916f599c3c526cf8b4"), bmcRandom: hx("a0b0cae409757d792169ee18d4c5f0f4"),
            frames: [
                "0600ff07000000000000000000092018c88100388e04b5",
                "0600ff0700000000000000000010811c6320003800019704030000000009",
                "0600ff0706100000000000000000200000000000a4a3a2a0000000080100000001000008010000000200000801000000",
                "0600ff0706110000000000000000240000000000a4a3a2a002130000000000080100000001000008010000000200000801000000",
                "0600ff070612000000000000000021000000000002130000b80ff1f47f2d00916f599c3c526cf8b41400000561646d696e",
                "0600ff07061300000000000000003c0000000000a4a3a2a0a0b0cae409757d792169ee18d4c5f0f4a123456789abcdefa123456789abcdef1c982e003b0669c4f7aea25fa16f1fef56cd9265",
                "0600ff07061400000000000000001c00000000000213000089568afa0c8482f84e2b399f93aac634b61b4d5d",
                "0600ff0706150000000000000000140000000000a4a3a2a08fef70a45152ab1319d6f9da",
            ].map { hx($0) }),
        SetupCapture(
            vector: "kat_suite3_ipmitool_ipmisim_power_on.json", suite: .suite3,
            consoleSessionID: 0xA0A2_A3A4, bmcSessionID: 0x0000_1382,
            consoleRandom: hx("2636693a50bcec7487b5e19499f57d95"), bmcRandom: hx("53ebf0e4cf3e98f99ff863d7aa808295"),
            frames: [
                "0600ff07000000000000000000092018c88100388e04b5",
                "0600ff0700000000000000000010811c6320003800019704030000000009",
                "0600ff0706100000000000000000200000000000a4a3a2a0000000080100000001000008010000000200000801000000",
                "0600ff0706110000000000000000240000000000a4a3a2a082130000000000080100000001000008010000000200000801000000",
                "0600ff0706120000000000000000210000000000821300002636693a50bcec7487b5e19499f57d951400000561646d696e",
                "0600ff07061300000000000000003c0000000000a4a3a2a053ebf0e4cf3e98f99ff863d7aa808295a123456789abcdefa123456789abcdef3aeb8f8373b9bfb7b8cbefa6714095bef8b0986d",
                "0600ff07061400000000000000001c00000000008213000056a143821c76202718e8d90f1b8b2c69de8a4e02",
                "0600ff0706150000000000000000140000000000a4a3a2a0eff3803cfdafc9f6d30c38ca",
            ].map { hx($0) }),
        SetupCapture(
            vector: "kat_suite17_ipmitool_refbmc_power_status.json", suite: .suite17,
            consoleSessionID: 0xA0A2_A3A4, bmcSessionID: 0xBAEA_EBE0,
            consoleRandom: hx("b650eb067bbe96068464083e9c74f815"), bmcRandom: hx("b15442e37f814950148da80cee3aa288"),
            frames: [
                "0600ff07000000000000000000092018c88100388e04b5",
                "0600ff0700000000000000000010811c6320003800018004020000000021",
                "0600ff0706100000000000000000200000000000a4a3a2a0000000080300000001000008040000000200000801000000",
                "0600ff0706110000000000000000240000000400a4a3a2a0e0ebeaba000000080300000001000008040000000200000801000000",
                "0600ff0706120000000000000000210000000000e0ebeabab650eb067bbe96068464083e9c74f8151400000561646d696e",
                "0600ff0706130000000000000000480000000000a4a3a2a0b15442e37f814950148da80cee3aa288a123456789abcdefa123456789abcdefddc53328dbf751257f4a596a9eb4e2eb3002991b75229d46d1cad93d70b7e363",
                "0600ff0706140000000000000000280000000000e0ebeaba6263117ae00c7381772a9c61ecbf5af366de1bfcea625b2bb67c45f185434cce",
                "0600ff0706150000000000000000180000000000a4a3a2a05d96de517c7c278216cc81e5b601784a",
            ].map { hx($0) }),
        SetupCapture(
            vector: "kat_suite17_ipmitool_refbmc_power_on.json", suite: .suite17,
            consoleSessionID: 0xA0A2_A3A4, bmcSessionID: 0x420E_D1B0,
            consoleRandom: hx("e4c7e6768b1c72149106506115eddc53"), bmcRandom: hx("492c7d2c5bc4e54d78820e1409dbef60"),
            frames: [
                "0600ff07000000000000000000092018c88100388e04b5",
                "0600ff0700000000000000000010811c6320003800018004020000000021",
                "0600ff0706100000000000000000200000000000a4a3a2a0000000080300000001000008040000000200000801000000",
                "0600ff0706110000000000000000240000000400a4a3a2a0b0d10e42000000080300000001000008040000000200000801000000",
                "0600ff0706120000000000000000210000000000b0d10e42e4c7e6768b1c72149106506115eddc531400000561646d696e",
                "0600ff0706130000000000000000480000000000a4a3a2a0492c7d2c5bc4e54d78820e1409dbef60a123456789abcdefa123456789abcdefb99c3d2d3bcfef39d198d2ee60a0390f1a59c2783bc65bdbb497a63b96999f63",
                "0600ff0706140000000000000000280000000000b0d10e426a39b4a98765f61fcd54f039786b602c4318e45baec8878d1c4e85590165b497",
                "0600ff0706150000000000000000180000000000a4a3a2a05c7e212dc0ee38f0bdb48b066857c937",
            ].map { hx($0) }),
    ]
}

// MARK: - Entropy

/// Replays the given 64-bit words, then continues from a seeded generator. Lets a test make a state machine
/// choose captured session IDs, random numbers and IVs.
struct ScriptedGenerator: RandomNumberGenerator {
    private(set) var words: [UInt64] = []
    private(set) var consumed = 0
    private var fallback: SeededGenerator

    init(fallbackSeed: UInt64 = 0x5EED) { fallback = SeededGenerator(seed: fallbackSeed) }

    var isExhausted: Bool { consumed >= words.count }

    mutating func next() -> UInt64 {
        guard consumed < words.count else { return fallback.next() }
        defer { consumed += 1 }
        return words[consumed]
    }

    /// The next `sessionID()` call returns `id`.
    mutating func queueSessionID(_ id: UInt32) { words.append(UInt64(id)) }

    /// The next `bytes(n)` call with `n == value.count` returns `value` (a multiple of 8 bytes).
    mutating func queueBytes(_ value: [UInt8]) {
        precondition(value.count % 8 == 0, "queue whole words")
        for start in stride(from: 0, to: value.count, by: 8) {
            var word: UInt64 = 0
            for (shift, byte) in value[start..<start + 8].enumerated() { word |= UInt64(byte) << UInt64(8 * shift) }
            words.append(word)
        }
    }
}

// MARK: - BMC fixtures

let testGUID = hx("a123456789abcdefa123456789abcdef")

func makeBMCConfiguration(users: [BMCUser] = [BMCUser(name: "admin", password: "password")],
                          suites: [CipherSuite] = [.suite17, .suite3], kg: [UInt8]? = nil, maximumSessions: Int = 16,
                          setupTimeout: Duration = .seconds(5), idleTimeout: Duration = .seconds(60)) -> BMCConfiguration {
    BMCConfiguration(users: users, guid: testGUID, kg: kg, cipherSuites: suites, maximumSessions: maximumSessions,
                     setupTimeout: setupTimeout, idleTimeout: idleTimeout)
}

typealias TestBMC = BMCStateMachine<String>

extension BMCStateMachine.Output {
    var replyBytes: [UInt8]? {
        if case .reply(let bytes) = self { return bytes }
        return nil
    }

    var dispatched: BMCStateMachine.InboundRequest? {
        if case .dispatch(let request) = self { return request }
        return nil
    }

    var ignoredReason: BMCStateMachine.IgnoredReason? {
        if case .ignored(let reason) = self { return reason }
        return nil
    }
}

/// The RMCP+ payload of an unprotected reply, checked to be of the given type.
func plainPayload(_ datagram: [UInt8]?, _ type: PayloadType, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
    let datagram = try #require(datagram, "expected a reply", sourceLocation: sourceLocation)
    guard case .rmcpPlus(let packet) = try Datagram.decode(datagram) else {
        Issue.record("expected an RMCP+ packet", sourceLocation: sourceLocation)
        return []
    }
    #expect(packet.payloadType == type, sourceLocation: sourceLocation)
    #expect(!packet.isAuthenticated && !packet.isEncrypted && packet.sessionID == 0 && packet.sessionSequence == 0,
            sourceLocation: sourceLocation)
    return Array(packet.payload)
}

/// A console built by hand for driving a BMC packet by packet: it runs the handshake with explicit values and
/// seals and opens in-session messages with the derived keys.
struct ManualConsole {
    var peer: String
    var suite: CipherSuite
    var consoleSessionID: UInt32
    var bmcSessionID: UInt32 = 0
    var keys: SessionKeys?
    var crypto: SessionCrypto?
    var sequence: UInt32
    var requestSequence: UInt8 = 1
    var entropy = SeededGenerator(seed: 0xC0FFEE)
    var maximumPrivilege: UInt8 = 0

    init(peer: String = "10.0.0.1:50000", suite: CipherSuite = .suite3, consoleSessionID: UInt32 = 0xA0A2_A3A4,
         firstSequence: UInt32 = 3) {
        self.peer = peer
        self.suite = suite
        self.consoleSessionID = consoleSessionID
        self.sequence = firstSequence
    }

    func openSessionRequest(tag: UInt8 = 0, privilege: PrivilegeLevel = .none, suite: CipherSuite? = nil) -> [UInt8] {
        let request = OpenSessionRequest(tag: tag, requestedPrivilege: privilege, consoleSessionID: consoleSessionID,
                                         suite: suite ?? self.suite)
        return RMCPPlusPacket.encodePlain(payloadType: .openSessionRequest, payload: request.encoded())
    }

    /// Opens the session; returns the decoded reply.
    mutating func openSession(_ bmc: inout TestBMC, now: Duration = .zero, privilege: PrivilegeLevel = .none,
                              entropy: inout some RandomNumberGenerator) throws -> OpenSessionResponse {
        let output = bmc.receive(openSessionRequest(privilege: privilege), from: peer, now: now, entropy: &entropy)
        let response = try OpenSessionResponse.decode(try plainPayload(output.replyBytes, .openSessionResponse)[...])
        if response.status == .noErrors {
            bmcSessionID = response.bmcSessionID
            maximumPrivilege = response.maximumPrivilege
        }
        return response
    }

    var consoleRandom: [UInt8] { hx("00112233445566778899aabbccddeeff") }

    func rakp1Datagram(role: UInt8, username: [UInt8], padTo16: Bool = false) -> [UInt8] {
        var payload = RAKP1(tag: 0, bmcSessionID: bmcSessionID, consoleRandom: consoleRandom, role: role, username: username).encoded()
        if padTo16 { payload += [UInt8](repeating: 0, count: 16 - username.count) }
        return RMCPPlusPacket.encodePlain(payloadType: .rakp1, payload: payload)
    }

    /// Sends RAKP1 and, when RAKP2 verifies, RAKP3; returns the RAKP2 status (and checks RAKP4 on success).
    @discardableResult
    mutating func authenticate(_ bmc: inout TestBMC, now: Duration = .zero, role: UInt8 = 0x14, username: String = "admin",
                               password: String = "password", kg: [UInt8]? = nil, padTo16: Bool = false,
                               entropy: inout some RandomNumberGenerator,
                               sourceLocation: SourceLocation = #_sourceLocation) throws -> RMCPPlusStatus {
        let name = Array(username.utf8)
        let output = bmc.receive(rakp1Datagram(role: role, username: name, padTo16: padTo16), from: peer, now: now, entropy: &entropy)
        let rakp2 = try RAKP2.decode(try plainPayload(output.replyBytes, .rakp2, sourceLocation: sourceLocation)[...])
        guard rakp2.status == .noErrors else { return rakp2.status }
        #expect(rakp2.consoleSessionID == consoleSessionID, sourceLocation: sourceLocation)
        #expect(rakp2.bmcGUID == testGUID, sourceLocation: sourceLocation)
        let inputs = RAKPInputs(consoleSessionID: consoleSessionID, bmcSessionID: bmcSessionID, consoleRandom: consoleRandom,
                                bmcRandom: rakp2.bmcRandom, bmcGUID: rakp2.bmcGUID, role: role, username: name)
        let exchange = KeyExchange(suite.authentication)
        let pw = Array(password.utf8)
        #expect(rakp2.authCode == exchange.rakp2AuthCode(password: pw, inputs), sourceLocation: sourceLocation)
        let rakp3 = RAKP3(tag: 0, status: .noErrors, bmcSessionID: bmcSessionID, authCode: exchange.rakp3AuthCode(password: pw, inputs))
        let reply = bmc.receive(RMCPPlusPacket.encodePlain(payloadType: .rakp3, payload: rakp3.encoded()), from: peer, now: now,
                                entropy: &entropy)
        let rakp4 = try RAKP4.decode(try plainPayload(reply.replyBytes, .rakp4, sourceLocation: sourceLocation)[...])
        guard rakp4.status == .noErrors else { return rakp4.status }
        let keys = exchange.sessionKeys(password: pw, kg: kg, inputs)
        #expect(rakp4.integrityCheckValue == exchange.rakp4ICV(sik: keys.sik, inputs), sourceLocation: sourceLocation)
        self.keys = keys
        crypto = SessionCrypto(suite: suite, keys: keys)
        return .noErrors
    }

    /// Open Session + RAKP 1-4, expecting success.
    mutating func handshake(_ bmc: inout TestBMC, now: Duration = .zero, role: UInt8 = 0x14,
                            entropy: inout some RandomNumberGenerator,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        let open = try openSession(&bmc, now: now, entropy: &entropy)
        try #require(open.status == .noErrors, sourceLocation: sourceLocation)
        let status = try authenticate(&bmc, now: now, role: role, entropy: &entropy, sourceLocation: sourceLocation)
        try #require(status == .noErrors, sourceLocation: sourceLocation)
    }

    /// A sealed in-session request with the next session sequence number (or an explicit one) and rqSeq.
    mutating func seal(_ request: IPMIRequest, sequence explicitSequence: UInt32? = nil, rqSeq: UInt8? = nil) -> [UInt8] {
        let crypto = self.crypto!
        let sessionSequence = explicitSequence ?? sequence
        if explicitSequence == nil { sequence += 1 }
        let lanSequence = rqSeq ?? requestSequence
        if rqSeq == nil { requestSequence = (requestSequence + 1) & 0x3F }
        let message = LANRequest(request, sequence: lanSequence).encoded()
        return crypto.seal(payloadType: .ipmiMessage, sessionID: bmcSessionID, sequence: sessionSequence, payload: message,
                           iv: entropy.bytes(crypto.ivLength))
    }

    /// Seals `request` and hands it to the BMC.
    mutating func send(_ request: IPMIRequest, to bmc: inout TestBMC, now: Duration = .seconds(1), sequence: UInt32? = nil,
                       rqSeq: UInt8? = nil, entropy: inout some RandomNumberGenerator) -> TestBMC.Output {
        bmc.receive(seal(request, sequence: sequence, rqSeq: rqSeq), from: peer, now: now, entropy: &entropy)
    }

    /// Sends `request` and returns the BMC's answer: its own reply, or the application's `answer` when dispatched.
    mutating func call(_ request: IPMIRequest, on bmc: inout TestBMC, now: Duration = .seconds(1),
                       answer: IPMIResponse = IPMIResponse(), entropy: inout some RandomNumberGenerator,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> LANResponse {
        switch send(request, to: &bmc, now: now, entropy: &entropy) {
        case .reply(let bytes):
            return try open(bytes, sourceLocation: sourceLocation).response
        case .dispatch(let inbound):
            return try open(bmc.respond(to: inbound, with: answer, entropy: &entropy), sourceLocation: sourceLocation).response
        case .ignored(let reason):
            throw TestFailure("request ignored: \(reason)")
        }
    }

    /// Verifies and decrypts a BMC reply to this console.
    func open(_ datagram: [UInt8]?, sourceLocation: SourceLocation = #_sourceLocation) throws -> (packet: RMCPPlusPacket, response: LANResponse) {
        let datagram = try #require(datagram, "expected a sealed reply", sourceLocation: sourceLocation)
        guard case .rmcpPlus(let packet) = try Datagram.decode(datagram) else {
            throw TestFailure("expected an RMCP+ datagram")
        }
        #expect(packet.sessionID == consoleSessionID, sourceLocation: sourceLocation)
        #expect(packet.isAuthenticated && packet.isEncrypted, sourceLocation: sourceLocation)
        let plain = try #require(crypto, sourceLocation: sourceLocation).open(packet)
        return (packet, try LANResponse.decode(plain))
    }
}

// MARK: - Console against BMC, in memory

/// Connects a `ConsoleStateMachine` to a `BMCStateMachine` by handing datagrams back and forth (timers are ignored),
/// answering dispatched requests with `application`.
struct InMemoryLink: CustomStringConvertible {
    var bmc: TestBMC
    var console: ConsoleStateMachine
    var peer = "192.0.2.10:40001"
    var now: Duration = .zero
    var consoleEntropy = SeededGenerator(seed: 1)
    var bmcEntropy = SeededGenerator(seed: 2)
    var application: @Sendable (IPMIRequest) -> IPMIResponse = { _ in IPMIResponse() }

    /// Every datagram carried, in order, with its direction.
    private(set) var consoleToBMC: [[UInt8]] = []
    private(set) var bmcToConsole: [[UInt8]] = []
    private(set) var dispatched: [IPMIRequest] = []
    private(set) var established: SessionSummary?
    private(set) var failure: ConsoleError?
    private(set) var closed = false
    private(set) var results: [RequestToken: Result<IPMIResponse, ConsoleError>] = [:]
    /// The timers the console asked for, latest last.
    private(set) var timers: [(token: TimerToken, delay: Duration)] = []

    /// Short, for failure messages.
    var description: String {
        "link(\(consoleToBMC.count) sent, \(bmcToConsole.count) received, established: \(established.map { "\($0.suite), \($0.privilege)" } ?? "no"), "
            + "failure: \(failure.map { "\($0)" } ?? "none"), dispatched: \(dispatched.count))"
    }

    init(bmc: BMCConfiguration, console: ConsoleConfiguration) {
        self.bmc = TestBMC(configuration: bmc)
        self.console = ConsoleStateMachine(configuration: console)
    }

    mutating func start() {
        let actions = console.start(entropy: &consoleEntropy)
        run(actions)
    }

    @discardableResult
    mutating func send(_ request: IPMIRequest) -> RequestToken {
        let (token, actions) = console.enqueue(request, entropy: &consoleEntropy)
        run(actions)
        return token
    }

    mutating func close() {
        let actions = console.close(entropy: &consoleEntropy)
        run(actions)
    }

    /// Fires the console's latest timer.
    mutating func fireLatestTimer() {
        guard let (token, _) = timers.last else { return }
        let actions = console.timerFired(token, entropy: &consoleEntropy)
        run(actions)
    }

    /// Performs the console's actions until nothing is left to carry.
    mutating func run(_ initial: [ConsoleAction]) {
        var pending = initial
        var steps = 0
        while !pending.isEmpty {
            steps += 1
            precondition(steps < 10_000, "console and BMC keep talking")
            let action = pending.removeFirst()
            switch action {
            case .send(let datagram):
                consoleToBMC.append(datagram)
                for reply in deliverToBMC(datagram) {
                    bmcToConsole.append(reply)
                    pending += console.receive(reply, entropy: &consoleEntropy)
                }
            case .startTimer(let token, let delay):
                timers.append((token, delay))
            case .established(let summary):
                established = summary
            case .completed(let token, let result):
                results[token] = result
            case .failed(let error):
                failure = error
            case .closed:
                closed = true
            }
        }
    }

    private mutating func deliverToBMC(_ datagram: [UInt8]) -> [[UInt8]] {
        switch bmc.receive(datagram, from: peer, now: now, entropy: &bmcEntropy) {
        case .reply(let bytes):
            return [bytes]
        case .dispatch(let request):
            dispatched.append(request.request)
            return bmc.respond(to: request, with: application(request.request), entropy: &bmcEntropy).map { [$0] } ?? []
        case .ignored:
            return []
        }
    }
}
