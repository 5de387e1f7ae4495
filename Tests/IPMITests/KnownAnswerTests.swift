import IPMI
import Testing

/// Known-answer tests against the four captured sessions (ipmitool against ipmi_sim with suite 3 and against the
/// reference BMC with suite 17): every derived value and every in-session packet, byte for byte.
@Suite("Known-answer vectors")
struct KnownAnswerTests {
    static let expectedFiles = [
        "kat_suite17_ipmitool_refbmc_power_on.json",
        "kat_suite17_ipmitool_refbmc_power_status.json",
        "kat_suite3_ipmitool_ipmisim_power_on.json",
        "kat_suite3_ipmitool_ipmisim_power_status.json",
    ]

    @Test func allFourVectorFilesLoad() throws {
        #expect(KATVector.names == Self.expectedFiles)
        let vectors = try KATVector.loadAll()
        #expect(vectors.count == 4)
        #expect(vectors.filter { $0.suite == .suite3 }.count == 2)
        #expect(vectors.filter { $0.suite == .suite17 }.count == 2)
        for vector in vectors {
            // 7 request/response pairs in every captured session.
            #expect(vector.packets.count == 14, "\(vector.name)")
            #expect(vector.packets.filter(\.fromConsole).count == 7, "\(vector.name)")
            #expect(vector.username == Array("admin".utf8))
            #expect(vector.password == Array("password".utf8))
            #expect(vector.inputs.consoleSessionID == 0xA0A2_A3A4)
            #expect(vector.inputs.role == 0x14)
        }
    }

    /// The values printed in ipmi.md section 13, independent of the JSON files.
    @Test func documentedValuesOfSection13() throws {
        let suite3 = try KATVector.load("kat_suite3_ipmitool_ipmisim_power_status.json")
        let exchange3 = KeyExchange(.hmacSHA1)
        #expect(hexString(exchange3.rakp2AuthCode(password: Array("password".utf8), suite3.inputs)) == "1c982e003b0669c4f7aea25fa16f1fef56cd9265")
        #expect(hexString(exchange3.rakp3AuthCode(password: Array("password".utf8), suite3.inputs)) == "89568afa0c8482f84e2b399f93aac634b61b4d5d")
        let keys3 = exchange3.sessionKeys(password: Array("password".utf8), kg: nil, suite3.inputs)
        #expect(hexString(keys3.sik) == "306bea8710684258b5f25781375b0c8fb1669155")
        #expect(hexString(keys3.k1) == "9ca9ca328a41e5c3e2daf31b0f531b6bbea558be")
        #expect(hexString(keys3.k2) == "857822a92daf554e9299148459e737a2697a6ed8")
        #expect(hexString(exchange3.rakp4ICV(sik: keys3.sik, suite3.inputs)) == "8fef70a45152ab1319d6f9da")

        let suite17 = try KATVector.load("kat_suite17_ipmitool_refbmc_power_status.json")
        #expect(suite17.inputs.bmcSessionID == 0xBAEA_EBE0)
        let exchange17 = KeyExchange(.hmacSHA256)
        // The RAKP2 HMAC buffer printed in section 8.
        #expect(hexString(suite17.inputs.rakp2Message) == "a4a3a2a0e0ebeabab650eb067bbe96068464083e9c74f815b15442e37f814950148da80cee3aa288a123456789abcdefa123456789abcdef140561646d696e")
        #expect(hexString(exchange17.rakp2AuthCode(password: Array("password".utf8), suite17.inputs)) == "ddc53328dbf751257f4a596a9eb4e2eb3002991b75229d46d1cad93d70b7e363")
        #expect(hexString(exchange17.rakp3AuthCode(password: Array("password".utf8), suite17.inputs)) == "6263117ae00c7381772a9c61ecbf5af366de1bfcea625b2bb67c45f185434cce")
        let keys17 = exchange17.sessionKeys(password: Array("password".utf8), kg: nil, suite17.inputs)
        #expect(hexString(keys17.sik) == "fe7c2c9fe960b1f01c25f3eb64aecfcdf52170cb4511ef98761b9d94077353a5")
        #expect(hexString(keys17.k1) == "0e2c3d9f930017ffb6abc78e1c474d62ea0d6ac52dd5321410c2b6d8777ae555")
        #expect(hexString(keys17.k2) == "8f08e7c92c8b671e31aec340e506fa7d8e38d1b1dcc4e79a138daac286b592fa")
        #expect(hexString(exchange17.rakp4ICV(sik: keys17.sik, suite17.inputs)) == "5d96de517c7c278216cc81e5b601784a")
    }

    @Test("RAKP2, RAKP3, SIK, K1, K2 and RAKP4 ICV from the inputs", arguments: KATVector.names)
    func keyExchangeValues(name: String) throws {
        let vector = try KATVector.load(name)
        let exchange = KeyExchange(vector.suite.authentication)
        let hmacLength = vector.suite == .suite17 ? 32 : 20

        // The HMAC buffers themselves.
        #expect(vector.inputs.rakp2Message == vector.rakp2Message)
        #expect(vector.inputs.rakp3Message == vector.rakp3Message)
        #expect(vector.inputs.sikMessage == vector.sikMessage)
        #expect(vector.inputs.rakp4Message == vector.rakp4Message)
        #expect(vector.rakp2Message.count == 58 + 5)
        #expect(vector.rakp3Message.count == 22 + 5)
        #expect(vector.sikMessage.count == 34 + 5)
        #expect(vector.rakp4Message.count == 36)

        let rakp2 = exchange.rakp2AuthCode(password: vector.password, vector.inputs)
        #expect(rakp2 == vector.rakp2AuthCode)
        #expect(rakp2.count == hmacLength)
        let rakp3 = exchange.rakp3AuthCode(password: vector.password, vector.inputs)
        #expect(rakp3 == vector.rakp3AuthCode)
        #expect(rakp3.count == hmacLength)
        let sik = exchange.sessionIntegrityKey(password: vector.password, kg: nil, vector.inputs)
        #expect(sik == vector.keys.sik)
        #expect(sik.count == hmacLength)
        let k1 = exchange.additionalKey(sik: sik, 0x01)
        let k2 = exchange.additionalKey(sik: sik, 0x02)
        #expect(k1 == vector.keys.k1)
        #expect(k2 == vector.keys.k2)
        #expect(Array(k2.prefix(16)) == vector.aesKey)
        let icv = exchange.rakp4ICV(sik: sik, vector.inputs)
        #expect(icv == vector.rakp4ICV)
        #expect(icv.count == (vector.suite == .suite17 ? 16 : 12))
        #expect(exchange.sessionKeys(password: vector.password, kg: nil, vector.inputs) == vector.keys)

        // Kg replaces the password for the SIK only.
        let kg = [UInt8](repeating: 0x5A, count: 20)
        #expect(exchange.sessionIntegrityKey(password: vector.password, kg: kg, vector.inputs) == exchange.hmac(key: kg, vector.sikMessage))
        #expect(exchange.sessionIntegrityKey(password: vector.password, kg: kg, vector.inputs) != sik)
        // The whole role byte (with the name-only bit) is authenticated.
        var otherRole = vector.inputs
        otherRole.role = 0x04
        #expect(exchange.rakp2AuthCode(password: vector.password, otherRole) != rakp2)
        #expect(exchange.rakp3AuthCode(password: vector.password, otherRole) != rakp3)
        #expect(exchange.sessionIntegrityKey(password: vector.password, kg: nil, otherRole) != sik)
    }

    @Test("seal rebuilds every captured packet", arguments: KATVector.names)
    func sealRebuildsCapturedPackets(name: String) throws {
        let vector = try KATVector.load(name)
        let crypto = vector.crypto
        #expect(crypto.ivLength == 16)
        for packet in vector.packets {
            let sessionID = packet.fromConsole ? vector.inputs.bmcSessionID : vector.inputs.consoleSessionID
            let sealed = crypto.seal(payloadType: .ipmiMessage, sessionID: sessionID, sequence: packet.sequence,
                                     payload: packet.message, iv: packet.iv)
            #expect(hexString(sealed) == hexString(packet.bytes), "\(name) packet \(packet.index)")
            #expect(Array(sealed.suffix(packet.authCode.count)) == packet.authCode)
            #expect(Array(sealed[32..<(16 + 16 + packet.ciphertext.count)]) == packet.ciphertext)
        }
    }

    @Test("decode and open return every captured IPMI message", arguments: KATVector.names)
    func openRecoversCapturedMessages(name: String) throws {
        let vector = try KATVector.load(name)
        let crypto = vector.crypto
        var lastSequence: [Bool: UInt32] = [:]
        for packet in vector.packets {
            guard case .rmcpPlus(let decoded) = try Datagram.decode(packet.bytes) else {
                Issue.record("\(name) packet \(packet.index) is not RMCP+")
                continue
            }
            #expect(decoded.payloadType == .ipmiMessage)
            #expect(decoded.isAuthenticated && decoded.isEncrypted)
            #expect(decoded.sessionID == (packet.fromConsole ? vector.inputs.bmcSessionID : vector.inputs.consoleSessionID))
            #expect(decoded.sessionSequence == packet.sequence)
            #expect(Array(decoded.payload.prefix(16)) == packet.iv)
            #expect(Array(decoded.trailer.prefix(4)) == [0xFF, 0xFF, 0x02, 0x07])
            let message = try crypto.open(decoded)
            #expect(message == packet.message, "\(name) packet \(packet.index)")
            // Both directions count up by one per packet.
            if let last = lastSequence[packet.fromConsole] { #expect(packet.sequence == last + 1) }
            lastSequence[packet.fromConsole] = packet.sequence

            let fields = packet.fields
            if packet.fromConsole {
                let request = try LANRequest.decode(message)
                #expect(request.sequence == fields["rqSeq"])
                #expect(request.command == fields["cmd"])
                #expect(request.netFn == fields["netFn"])
                #expect(request.responderAddress == 0x20 && request.requesterAddress == 0x81)
                #expect(request.encoded() == message)
                #expect(throws: IPMIDecodingError.self) { try LANResponse.decode(message) }
            } else {
                let response = try LANResponse.decode(message)
                #expect(response.sequence == fields["rqSeq"])
                #expect(response.command == fields["cmd"])
                #expect(response.netFn == fields["netFn"])
                #expect(response.response.completionCode.rawValue == fields["cc"])
                #expect(response.encoded() == message)
            }
        }
        // The BMC's outbound numbering starts at 1; ipmitool's first in-session number is 3.
        #expect(vector.packets.first(where: { !$0.fromConsole })?.sequence == 1)
        #expect(vector.packets.first(where: { $0.fromConsole })?.sequence == 3)
    }

    @Test("requests and responses pair up by rqSeq and command", arguments: KATVector.names)
    func requestResponsePairs(name: String) throws {
        let vector = try KATVector.load(name)
        let crypto = vector.crypto
        for pair in stride(from: 0, to: vector.packets.count, by: 2) {
            let requestPacket = vector.packets[pair], responsePacket = vector.packets[pair + 1]
            #expect(requestPacket.fromConsole && !responsePacket.fromConsole)
            guard case .rmcpPlus(let rq) = try Datagram.decode(requestPacket.bytes),
                  case .rmcpPlus(let rs) = try Datagram.decode(responsePacket.bytes) else { continue }
            let request = try LANRequest.decode(try crypto.open(rq))
            let response = try LANResponse.decode(try crypto.open(rs))
            #expect(response.sequence == request.sequence)
            #expect(response.command == request.command)
            #expect(response.netFn == request.netFn | 1)
        }
    }

    @Test("one flipped bit is rejected as a bad AuthCode", arguments: KATVector.names)
    func flippedBitsAreRejected(name: String) throws {
        let vector = try KATVector.load(name)
        let crypto = vector.crypto
        let macLength = vector.suite.integrity.authCodeLength
        var checked = 0
        var failures: [String] = []
        for packet in vector.packets {
            let count = packet.bytes.count
            // Session ID, sequence, IV and ciphertext, and the AuthCode itself.
            let positions = Array(6..<14) + Array(16..<(count - macLength - 4)) + Array((count - macLength)..<count)
            for position in positions {
                for bit in 0..<8 {
                    var mutated = packet.bytes
                    mutated[position] ^= 1 << UInt8(bit)
                    checked += 1
                    do {
                        guard case .rmcpPlus(let decoded) = try Datagram.decode(mutated) else {
                            failures.append("packet \(packet.index) byte \(position) bit \(bit): not RMCP+")
                            continue
                        }
                        _ = try crypto.open(decoded)
                        failures.append("packet \(packet.index) byte \(position) bit \(bit): accepted")
                    } catch let error as IPMIDecodingError {
                        if error.code != .badAuthCode { failures.append("packet \(packet.index) byte \(position) bit \(bit): \(error)") }
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(checked > 14 * 8 * 40)
    }

    @Test("a packet under another session's keys is rejected")
    func wrongKeysAreRejected() throws {
        let vectors = try KATVector.loadAll()
        let a = try #require(vectors.first { $0.suite == .suite3 })
        let b = try #require(vectors.last { $0.suite == .suite3 && $0.name != a.name })
        for packet in a.packets {
            guard case .rmcpPlus(let decoded) = try Datagram.decode(packet.bytes) else { continue }
            let error = #expect(throws: IPMIDecodingError.self) { try b.crypto.open(decoded) }
            #expect(error?.code == .badAuthCode)
        }
        // Suite 3 packets opened with a suite 17 session: wrong AuthCode length, so the trailer does not parse.
        let c = try #require(vectors.first { $0.suite == .suite17 })
        for packet in a.packets {
            guard case .rmcpPlus(let decoded) = try Datagram.decode(packet.bytes) else { continue }
            #expect(throws: IPMIDecodingError.self) { try c.crypto.open(decoded) }
        }
    }

    /// ipmi.md section 9.3: the worked example, its AES key and plaintext block.
    @Test func workedExampleOfSection9() throws {
        let vector = try KATVector.load("kat_suite3_ipmitool_ipmisim_power_status.json")
        let request = hx("""
            0600ff07 06 c0 02130000 08000000 2000 4fcd3c43c9c7e8b89a4eedfe4127aac2 b4238534ab9f4f92e3a03af6864ab231 \
            ffff 02 07 789311ec8207ac9198b74925
            """)
        #expect(hexString(vector.keys.k2.prefix(16)) == "857822a92daf554e9299148459e737a2")
        guard case .rmcpPlus(let packet) = try Datagram.decode(request) else { throw TestFailure("not RMCP+") }
        #expect(try vector.crypto.open(packet) == hx("2000e081180166"))
        let response = hx("""
            0600ff07 06 c0 a4a3a2a0 06000000 2000 6d871cdb217ae349291681e4d05c250b 6f7f36685840311b9a52e9b391c0a59f \
            ffff0207 076ab88faee1b1232daf0cbf
            """)
        guard case .rmcpPlus(let reply) = try Datagram.decode(response) else { throw TestFailure("not RMCP+") }
        let message = try vector.crypto.open(reply)
        #expect(message == hx("81047b20180100000000c7"))
        let status = try GetChassisStatus.Response(data: try LANResponse.decode(message).response.data)
        #expect(!status.powerOn)

        let suite17 = try KATVector.load("kat_suite17_ipmitool_refbmc_power_status.json")
        let request17 = hx("""
            0600ff07 06 c0 e0ebeaba 08000000 2000 e4f069b4eb886c410a9573e641ffb84c 6dad4fdd4678bae936ede80d64e7895f \
            ffff0207 3a27fd095976c92113d9eb5a22605649
            """)
        guard case .rmcpPlus(let packet17) = try Datagram.decode(request17) else { throw TestFailure("not RMCP+") }
        #expect(try suite17.crypto.open(packet17) == hx("2000e081180166"))
    }
}
