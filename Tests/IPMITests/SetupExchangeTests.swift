import IPMI
import Testing

/// The session set-up frames of the four captures: decode and re-encode byte for byte, then replay them against
/// `BMCStateMachine` and `ConsoleStateMachine` with the captured random numbers.
@Suite("Captured set-up exchanges")
struct SetupExchangeTests {
    static let captures = SetupCapture.all.map(\.vector)

    static func capture(_ name: String) throws -> SetupCapture {
        try #require(SetupCapture.all.first { $0.vector == name })
    }

    @Test func capturesMatchTheVectorFiles() throws {
        #expect(Set(Self.captures) == Set(KATVector.names))
        for capture in SetupCapture.all {
            let vector = try KATVector.load(capture.vector)
            #expect(vector.suite == capture.suite)
            #expect(vector.inputs.consoleSessionID == capture.consoleSessionID)
            #expect(vector.inputs.bmcSessionID == capture.bmcSessionID)
            #expect(vector.inputs.consoleRandom == capture.consoleRandom)
            #expect(vector.inputs.bmcRandom == capture.bmcRandom)
            #expect(capture.frames.count == 8)
        }
    }

    @Test("Get Channel Authentication Capabilities request and response", arguments: captures)
    func authenticationCapabilities(name: String) throws {
        let capture = try Self.capture(name)
        // Request: IPMI 1.5 framing, auth type none, session 0.
        guard case .ipmi15(let request15) = try Datagram.decode(capture.authCapsRequest) else { throw TestFailure("not 1.5") }
        #expect(request15.sessionID == 0 && request15.sessionSequence == 0)
        let request = try LANRequest.decode(request15.message)
        #expect(request.netFn == NetFn.application && request.command == 0x38 && request.sequence == 0)
        #expect(request.data == [0x8E, 0x04])
        let fields = try GetChannelAuthenticationCapabilities.Request(data: request.data)
        #expect(fields.requestExtendedData && fields.channel == 0x0E && fields.maximumPrivilege == .administrator)
        let rebuilt = LANRequest(GetChannelAuthenticationCapabilities.Request(maximumPrivilege: .administrator).ipmiRequest, sequence: 0)
        #expect(IPMI15Packet(message: rebuilt.encoded()).encoded() == capture.authCapsRequest)
        #expect(capture.authCapsRequest == hx("0600ff07 00 00000000 00000000 09 2018c88100388e04b5"))

        // Response, in the same framing.
        guard case .ipmi15(let response15) = try Datagram.decode(capture.authCapsResponse) else { throw TestFailure("not 1.5") }
        let response = try LANResponse.decode(response15.message)
        #expect(response.netFn == 0x07 && response.command == 0x38 && response.sequence == 0)
        #expect(response.response.completionCode == .ok)
        let capabilities = try GetChannelAuthenticationCapabilities.Response(data: response.response.data)
        #expect(capabilities.channel == 1)
        #expect(capabilities.supportsRMCPPlus)
        #expect(!capabilities.kgIsSet)
        #expect(capabilities.authStatus == 0x04)
        if capture.suite == .suite3 {
            // ipmi_sim: every 1.5 auth type and both connection kinds.
            #expect(capabilities.authTypeSupport == 0x97 && capabilities.extendedCapabilities == 0x03)
        } else {
            #expect(capabilities.authTypeSupport == 0x80 && capabilities.extendedCapabilities == 0x02)
        }
        #expect(capabilities.data == response.response.data)
        let reencoded = LANResponse(answering: request, with: IPMIResponse(data: capabilities.data)).encoded()
        #expect(IPMI15Packet(message: reencoded).encoded() == capture.authCapsResponse)
    }

    @Test("Open Session request and response", arguments: captures)
    func openSession(name: String) throws {
        let capture = try Self.capture(name)
        let requestPayload = try plainPayload(capture.openSessionRequest, .openSessionRequest)
        #expect(requestPayload.count == 32)
        let request = try OpenSessionRequest.decode(requestPayload[...])
        #expect(request.tag == 0 && request.requestedPrivilege == .none)
        #expect(request.consoleSessionID == capture.consoleSessionID)
        #expect(request.authentication == capture.suite.authentication.rawValue)
        #expect(request.integrity == capture.suite.integrity.rawValue)
        #expect(request.confidentiality == capture.suite.confidentiality.rawValue)
        #expect(request.encoded() == requestPayload)
        let rebuilt = OpenSessionRequest(tag: 0, requestedPrivilege: .none, consoleSessionID: 0xA0A2_A3A4, suite: capture.suite)
        #expect(RMCPPlusPacket.encodePlain(payloadType: .openSessionRequest, payload: rebuilt.encoded()) == capture.openSessionRequest)

        let responsePayload = try plainPayload(capture.openSessionResponse, .openSessionResponse)
        #expect(responsePayload.count == 36)
        let response = try OpenSessionResponse.decode(responsePayload[...])
        #expect(response.tag == 0 && response.status == .noErrors)
        #expect(response.consoleSessionID == capture.consoleSessionID)
        #expect(response.bmcSessionID == capture.bmcSessionID)
        #expect(response.authentication == capture.suite.authentication.rawValue)
        #expect(response.integrity == capture.suite.integrity.rawValue)
        #expect(response.confidentiality == capture.suite.confidentiality.rawValue)
        // ipmi_sim echoes the requested 0; the reference BMC returns the real maximum.
        #expect(response.maximumPrivilege == (capture.suite == .suite3 ? 0 : 4))
        #expect(RMCPPlusPacket.encodePlain(payloadType: .openSessionResponse, payload: response.encoded()) == capture.openSessionResponse)
    }

    @Test("RAKP messages 1-4 decode and re-encode", arguments: captures)
    func rakpMessages(name: String) throws {
        let capture = try Self.capture(name)
        let vector = try KATVector.load(name)

        let rakp1Payload = try plainPayload(capture.rakp1, .rakp1)
        #expect(rakp1Payload.count == 28 + 5)
        let rakp1 = try RAKP1.decode(rakp1Payload[...])
        #expect(rakp1.tag == 0 && rakp1.bmcSessionID == capture.bmcSessionID)
        #expect(rakp1.consoleRandom == capture.consoleRandom)
        #expect(rakp1.role == 0x14 && rakp1.isNameOnlyLookup && rakp1.requestedPrivilege == .administrator)
        #expect(rakp1.username == Array("admin".utf8))
        #expect(RMCPPlusPacket.encodePlain(payloadType: .rakp1, payload: rakp1.encoded()) == capture.rakp1)

        let rakp2Payload = try plainPayload(capture.rakp2, .rakp2)
        #expect(rakp2Payload.count == (capture.suite == .suite3 ? 60 : 72))
        let rakp2 = try RAKP2.decode(rakp2Payload[...])
        #expect(rakp2.status == .noErrors && rakp2.consoleSessionID == capture.consoleSessionID)
        #expect(rakp2.bmcRandom == capture.bmcRandom)
        #expect(rakp2.bmcGUID == testGUID)
        #expect(rakp2.authCode == vector.rakp2AuthCode)
        #expect(RMCPPlusPacket.encodePlain(payloadType: .rakp2, payload: rakp2.encoded()) == capture.rakp2)

        let rakp3Payload = try plainPayload(capture.rakp3, .rakp3)
        #expect(rakp3Payload.count == (capture.suite == .suite3 ? 28 : 40))
        let rakp3 = try RAKP3.decode(rakp3Payload[...])
        #expect(rakp3.status == .noErrors && rakp3.bmcSessionID == capture.bmcSessionID)
        #expect(rakp3.authCode == vector.rakp3AuthCode)
        #expect(RMCPPlusPacket.encodePlain(payloadType: .rakp3, payload: rakp3.encoded()) == capture.rakp3)

        let rakp4Payload = try plainPayload(capture.rakp4, .rakp4)
        #expect(rakp4Payload.count == (capture.suite == .suite3 ? 20 : 24))
        let rakp4 = try RAKP4.decode(rakp4Payload[...])
        #expect(rakp4.status == .noErrors && rakp4.consoleSessionID == capture.consoleSessionID)
        #expect(rakp4.integrityCheckValue == vector.rakp4ICV)
        #expect(RMCPPlusPacket.encodePlain(payloadType: .rakp4, payload: rakp4.encoded()) == capture.rakp4)

        // The RAKP HMACs recomputed from the decoded messages alone.
        let inputs = RAKPInputs(consoleSessionID: rakp2.consoleSessionID, bmcSessionID: rakp1.bmcSessionID,
                                consoleRandom: rakp1.consoleRandom, bmcRandom: rakp2.bmcRandom, bmcGUID: rakp2.bmcGUID,
                                role: rakp1.role, username: rakp1.username)
        let exchange = KeyExchange(capture.suite.authentication)
        let password = Array("password".utf8)
        #expect(exchange.rakp2AuthCode(password: password, inputs) == rakp2.authCode)
        #expect(exchange.rakp3AuthCode(password: password, inputs) == rakp3.authCode)
        let keys = exchange.sessionKeys(password: password, kg: nil, inputs)
        #expect(exchange.rakp4ICV(sik: keys.sik, inputs) == rakp4.integrityCheckValue)
    }

    // MARK: Replays

    /// Feeds the captured console frames to a BMC whose entropy yields the captured session ID, Rc and IVs, and
    /// checks every reply it sends against the capture.
    @Test("BMCStateMachine replays the captured session byte for byte", arguments: captures)
    func bmcReplay(name: String) throws {
        let capture = try Self.capture(name)
        let vector = try KATVector.load(name)
        var entropy = ScriptedGenerator()
        entropy.queueSessionID(capture.bmcSessionID)
        entropy.queueBytes(capture.bmcRandom)
        for packet in vector.packets where !packet.fromConsole { entropy.queueBytes(packet.iv) }
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        let peer = "127.0.0.1:51000"

        // Our Get Channel Auth Caps answer is the reference BMC's (2.0 only, named users).
        let refbmcAuthCaps = hx("0600ff0700000000000000000010811c6320003800018004020000000021")
        #expect(bmc.receive(capture.authCapsRequest, from: peer, now: .zero, entropy: &entropy).replyBytes == refbmcAuthCaps)
        // Open Session: as captured, except that ipmi_sim's privilege 00 becomes the real maximum, 04.
        var openReply = capture.openSessionResponse
        openReply[18] = 0x04
        #expect(bmc.receive(capture.openSessionRequest, from: peer, now: .zero, entropy: &entropy).replyBytes == openReply)
        #expect(bmc.receive(capture.rakp1, from: peer, now: .zero, entropy: &entropy).replyBytes == capture.rakp2)
        #expect(bmc.receive(capture.rakp3, from: peer, now: .zero, entropy: &entropy).replyBytes == capture.rakp4)
        #expect(bmc.activeSessionCount == 1)
        let session = try #require(bmc.sessions[capture.bmcSessionID])
        #expect(session.isActive && session.privilege == .user && session.maximumPrivilege == .administrator)
        #expect(session.consoleSessionID == capture.consoleSessionID && session.suite == capture.suite)

        var dispatches = 0
        for pair in stride(from: 0, to: vector.packets.count, by: 2) {
            let request = vector.packets[pair], expected = vector.packets[pair + 1]
            switch bmc.receive(request.bytes, from: peer, now: .seconds(1), entropy: &entropy) {
            case .reply(let bytes):
                #expect(hexString(bytes) == hexString(expected.bytes), "\(name) reply to packet \(request.index)")
            case .dispatch(let inbound):
                dispatches += 1
                #expect(inbound.message.encoded() == request.message)
                #expect(inbound.sessionID == capture.bmcSessionID && inbound.peer == peer)
                #expect(inbound.username == Array("admin".utf8) && inbound.privilege == .administrator)
                let captured = try LANResponse.decode(expected.message)
                let bytes = bmc.respond(to: inbound, with: captured.response, entropy: &entropy)
                #expect(bytes.map(hexString) == hexString(expected.bytes), "\(name) response to packet \(request.index)")
            case .ignored(let reason):
                Issue.record("\(name) packet \(request.index) ignored: \(reason)")
            }
        }
        // Get Device ID and Get Chassis Status, or Get Device ID and Chassis Control, reach the application.
        #expect(dispatches == 2)
        #expect(entropy.isExhausted)
        // Close Session removed the session after answering inside it.
        #expect(bmc.sessions.isEmpty)
    }

    /// Runs a `ConsoleStateMachine` against the captured BMC frames (with our handshake tag patched in) and checks
    /// each frame it sends against the capture.
    @Test("ConsoleStateMachine replays the captured session", arguments: captures)
    func consoleReplay(name: String) throws {
        let capture = try Self.capture(name)
        let vector = try KATVector.load(name)
        let console = ConsoleConfiguration(username: "admin", password: "password", privilege: .administrator,
                                           cipherSuite: capture.suite.id)
        var replay = try ConsoleReplay(capture: capture, vector: vector, configuration: console)

        // The set-up, as ipmitool sent it, apart from the handshake tag.
        try #require(replay.sent.count == 5)
        #expect(replay.sent[0] == capture.authCapsRequest)
        #expect(replay.sent[1] == ConsoleReplay.withTag(capture.openSessionRequest, 1))
        #expect(replay.sent[2] == ConsoleReplay.withTag(capture.rakp1, 1))
        #expect(replay.sent[3] == ConsoleReplay.withTag(capture.rakp3, 1))

        // Set Session Privilege Level (ADMINISTRATOR), sealed with the captured IV: same payload, our sequence 1.
        let firstRequest = vector.packets[0]
        let sealed = try #require(replay.lastInSession)
        #expect(Array(sealed[16..<48]) == Array(firstRequest.bytes[16..<48]))
        #expect(sealed == vector.crypto.seal(payloadType: .ipmiMessage, sessionID: capture.bmcSessionID, sequence: 1,
                                             payload: firstRequest.message, iv: firstRequest.iv))
        var actions = replay.deliver(vector.packets[1].bytes)
        let summary = try #require(actions.established)
        #expect(summary.suite == capture.suite && summary.privilege == .administrator)
        #expect(summary.consoleSessionID == capture.consoleSessionID && summary.bmcSessionID == capture.bmcSessionID)
        #expect(replay.machine.summary == summary)

        // The rest of ipmitool's session, request by request, with the captured IVs: same ciphertexts.
        var sequence: UInt32 = 2
        for pair in stride(from: 2, to: vector.packets.count - 2, by: 2) {
            let request = vector.packets[pair], response = vector.packets[pair + 1]
            let (token, sent) = replay.enqueue(try LANRequest.decode(request.message).request)
            let bytes = try #require(sent.sentDatagrams.first)
            #expect(bytes == vector.crypto.seal(payloadType: .ipmiMessage, sessionID: capture.bmcSessionID, sequence: sequence,
                                                payload: request.message, iv: request.iv), "\(name) packet \(request.index)")
            sequence += 1
            actions = replay.deliver(response.bytes)
            #expect(actions.completion(token) == .success(try LANResponse.decode(response.message).response))
        }
        // Close Session carries the BMC's session ID and ends the machine.
        let closeRequest = vector.packets[vector.packets.count - 2]
        let closing = replay.close()
        #expect(closing.sentDatagrams.first == vector.crypto.seal(
            payloadType: .ipmiMessage, sessionID: capture.bmcSessionID, sequence: sequence, payload: closeRequest.message,
            iv: closeRequest.iv))
        actions = replay.deliver(vector.packets[vector.packets.count - 1].bytes)
        #expect(actions.isClosed)
        #expect(replay.machine.isFinished)
        #expect(replay.machine.ignoredDatagrams == 0)
    }
}

/// A console driven through a capture's set-up with the captured SIDm, Rm and the console's IVs.
struct ConsoleReplay {
    var machine: ConsoleStateMachine
    var entropy = ScriptedGenerator()
    /// Everything the console sent, in order.
    var sent: [[UInt8]] = []
    var lastInSession: [UInt8]? { sent.last.flatMap { $0.count > 5 && $0[5] == 0xC0 ? $0 : nil } }

    static func withTag(_ frame: [UInt8], _ tag: UInt8) -> [UInt8] {
        var out = frame
        out[16] = tag
        return out
    }

    /// Runs discovery, Open Session and RAKP 1-4 from the capture; afterwards the console has sent its
    /// Set Session Privilege Level request.
    init(capture: SetupCapture, vector: KATVector, configuration: ConsoleConfiguration) throws {
        machine = ConsoleStateMachine(configuration: configuration)
        entropy.queueSessionID(capture.consoleSessionID)
        entropy.queueBytes(capture.consoleRandom)
        for packet in vector.packets where packet.fromConsole { entropy.queueBytes(packet.iv) }
        record(machine.start(entropy: &entropy))
        _ = deliver(capture.authCapsResponse)
        // Our handshake tag is 1 where ipmitool's is 0; nothing else in these frames depends on it.
        _ = deliver(Self.withTag(capture.openSessionResponse, 1))
        _ = deliver(Self.withTag(capture.rakp2, 1))
        _ = deliver(Self.withTag(capture.rakp4, 1))
    }

    private mutating func record(_ actions: [ConsoleAction]) { sent += actions.sentDatagrams }

    mutating func deliver(_ datagram: [UInt8]) -> [ConsoleAction] {
        let actions = machine.receive(datagram, entropy: &entropy)
        record(actions)
        return actions
    }

    mutating func enqueue(_ request: IPMIRequest) -> (RequestToken, [ConsoleAction]) {
        let (token, actions) = machine.enqueue(request, entropy: &entropy)
        record(actions)
        return (token, actions)
    }

    mutating func close() -> [ConsoleAction] {
        let actions = machine.close(entropy: &entropy)
        record(actions)
        return actions
    }
}

extension Array where Element == ConsoleAction {
    var sentDatagrams: [[UInt8]] {
        compactMap { if case .send(let bytes) = $0 { return bytes } else { return nil } }
    }

    var timers: [(TimerToken, Duration)] {
        compactMap { if case .startTimer(let token, let delay) = $0 { return (token, delay) } else { return nil } }
    }

    var established: SessionSummary? {
        for action in self { if case .established(let summary) = action { return summary } }
        return nil
    }

    var failure: ConsoleError? {
        for action in self { if case .failed(let error) = action { return error } }
        return nil
    }

    var isClosed: Bool { contains { if case .closed = $0 { true } else { false } } }

    func completion(_ token: RequestToken) -> Result<IPMIResponse, ConsoleError>? {
        for action in self { if case .completed(token, let result) = action { return result } }
        return nil
    }
}
