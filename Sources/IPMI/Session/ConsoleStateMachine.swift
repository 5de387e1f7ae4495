/// The console (client) side of an RMCP+ session, as a pure state machine.
///
/// Discovery (Get Channel Authentication Capabilities, optionally Get Channel Cipher Suites) → Open Session →
/// RAKP 1-4 → Set Session Privilege Level → requests, one in flight at a time, matched by rqSeq and command →
/// Close Session. Retransmissions and keep-alives are timers the shell starts and reports back.
public struct ConsoleStateMachine: Sendable {
    public let configuration: ConsoleConfiguration

    private var phase: Phase = .idle
    private var queue: [(RequestToken, IPMIRequest)] = []
    private var nextToken: UInt64 = 0
    private var currentTimer: TimerToken?
    private var timerCounter: UInt64 = 0
    /// rqSeq for LAN messages, 6 bits, wrapping.
    private var requestSequence: UInt8 = 0
    /// Tag of the current Open Session/RAKP exchange; bumped per handshake attempt so stale answers are ignored.
    private var tag: UInt8 = 0
    private var handshakeAttempt = 0
    private var closeRequested = false

    public init(configuration: ConsoleConfiguration) {
        self.configuration = configuration
    }

    /// Counters of datagrams the machine set aside; the shell exports them.
    public private(set) var ignoredDatagrams = 0

    public var summary: SessionSummary? {
        if case .active(let active) = phase, active.isEstablished { return active.summary }
        return nil
    }

    public var isFinished: Bool {
        switch phase {
        case .closed, .failed: true
        default: false
        }
    }

    // MARK: Events

    public mutating func start(entropy: inout some RandomNumberGenerator) -> [ConsoleAction] {
        guard case .idle = phase else { return [] }
        var actions: [ConsoleAction] = []
        let request = GetChannelAuthenticationCapabilities.Request(maximumPrivilege: configuration.privilege).ipmiRequest
        let message = LANRequest(request, sequence: takeRequestSequence())
        phase = .authenticationCapabilities(message, attempt: 1)
        send15(message, &actions)
        return actions
    }

    /// Queues a request; it is sent once the session is up and nothing else is in flight.
    public mutating func enqueue(_ request: IPMIRequest, entropy: inout some RandomNumberGenerator) -> (RequestToken, [ConsoleAction]) {
        nextToken += 1
        let token = RequestToken(rawValue: nextToken)
        var actions: [ConsoleAction] = []
        switch phase {
        case .closed, .failed:
            actions.append(.completed(token, .failure(.sessionClosed)))
        default:
            if closeRequested {
                actions.append(.completed(token, .failure(.sessionClosed)))
            } else {
                queue.append((token, request))
                pump(&actions, entropy: &entropy)
            }
        }
        return (token, actions)
    }

    /// Closes the session after the request in flight; queued requests are failed.
    public mutating func close(entropy: inout some RandomNumberGenerator) -> [ConsoleAction] {
        var actions: [ConsoleAction] = []
        closeRequested = true
        failQueue(.sessionClosed, &actions)
        switch phase {
        case .active(let active) where active.isEstablished:
            pump(&actions, entropy: &entropy)
        case .closed, .failed:
            break
        default:
            phase = .closed
            currentTimer = nil
            actions.append(.closed)
        }
        return actions
    }

    public mutating func timerFired(_ token: TimerToken, entropy: inout some RandomNumberGenerator) -> [ConsoleAction] {
        guard token == currentTimer else { return [] }
        currentTimer = nil
        var actions: [ConsoleAction] = []
        switch phase {
        case .idle, .closed, .failed:
            break
        case .authenticationCapabilities(let message, let attempt):
            if attempt >= configuration.maximumAttempts {
                fail(.timeout("Get Channel Authentication Capabilities"), &actions)
            } else {
                phase = .authenticationCapabilities(message, attempt: attempt + 1)
                send15(message, &actions)
            }
        case .cipherSuites(let message, let records, let attempt):
            if attempt >= configuration.maximumAttempts {
                // BMCs that ignore this pre-session query (OpenIPMI's ipmi_sim) still speak suite 3.
                openSession(suite: .suite3, &actions, entropy: &entropy)
            } else {
                phase = .cipherSuites(message, records: records, attempt: attempt + 1)
                sendPreSessionPlus(message, &actions)
            }
        case .openSession(_, let suite), .rakp2(_, let suite, _), .rakp4(let suite, _, _):
            if handshakeAttempt >= configuration.maximumAttempts {
                fail(.timeout("the RMCP+ session handshake"), &actions)
            } else {
                openSession(suite: suite, &actions, entropy: &entropy)
            }
        case .active(var active):
            if var inFlight = active.inFlight {
                if inFlight.attempts >= configuration.maximumAttempts, case .close = inFlight.purpose {
                    // The BMC will expire the session on its own.
                    phase = .closed
                    actions.append(.closed)
                } else if inFlight.attempts >= configuration.maximumAttempts {
                    phase = .active(active)
                    fail(.timeout(inFlight.purpose.description), &actions)
                } else {
                    inFlight.attempts += 1
                    active.inFlight = inFlight
                    // Same rqSeq, new session sequence number and IV.
                    sendInSession(inFlight, &active, &actions, entropy: &entropy)
                    phase = .active(active)
                }
            } else if active.isEstablished, queue.isEmpty {
                active.inFlight = InFlight(message: LANRequest(GetDeviceID.request, sequence: takeRequestSequence()), purpose: .keepAlive)
                sendInSession(active.inFlight!, &active, &actions, entropy: &entropy)
                phase = .active(active)
            }
        }
        return actions
    }

    public mutating func receive(_ datagram: [UInt8], entropy: inout some RandomNumberGenerator) -> [ConsoleAction] {
        var actions: [ConsoleAction] = []
        do {
            switch try Datagram.decode(datagram) {
            case .asf:
                ignoredDatagrams += 1
            case .ipmi15(let packet):
                try receiveAuthenticationCapabilities(packet, &actions, entropy: &entropy)
            case .rmcpPlus(let packet):
                try receiveRMCPPlus(packet, &actions, entropy: &entropy)
            }
        } catch {
            // Late, corrupt or foreign datagrams are counted and dropped; only timeouts end a handshake.
            ignoredDatagrams += 1
        }
        return actions
    }

    // MARK: Discovery

    private mutating func receiveAuthenticationCapabilities(_ packet: IPMI15Packet, _ actions: inout [ConsoleAction],
                                                            entropy: inout some RandomNumberGenerator) throws {
        guard case .authenticationCapabilities(let request, _) = phase else { ignoredDatagrams += 1; return }
        let response = try LANResponse.decode(packet.message)
        guard response.sequence == request.sequence, response.command == request.command else { ignoredDatagrams += 1; return }
        guard response.response.completionCode == .ok else {
            fail(.completionCode(response.response.completionCode, "Get Channel Authentication Capabilities"), &actions)
            return
        }
        let capabilities = try GetChannelAuthenticationCapabilities.Response(data: response.response.data)
        guard capabilities.supportsRMCPPlus else { fail(.rmcpPlusNotSupported, &actions); return }
        if let pinned = configuration.cipherSuite {
            guard let suite = CipherSuite(id: pinned), pinned != 0 || configuration.allowsSuite0 else {
                fail(.unsupportedCipherSuite(pinned, nil), &actions)
                return
            }
            openSession(suite: suite, &actions, entropy: &entropy)
        } else {
            requestCipherSuites(page: 0, records: [], &actions)
        }
    }

    private mutating func requestCipherSuites(page: UInt8, records: [UInt8], _ actions: inout [ConsoleAction]) {
        let request = GetChannelCipherSuites.Request(listIndex: page).ipmiRequest
        let message = LANRequest(request, sequence: takeRequestSequence())
        phase = .cipherSuites(message, records: records, attempt: 1)
        sendPreSessionPlus(message, &actions)
    }

    private mutating func receiveCipherSuites(_ packet: RMCPPlusPacket, _ actions: inout [ConsoleAction],
                                              entropy: inout some RandomNumberGenerator) throws {
        guard case .cipherSuites(let request, var records, _) = phase else { ignoredDatagrams += 1; return }
        let response = try LANResponse.decode(packet.payload)
        guard response.sequence == request.sequence, response.command == request.command else { ignoredDatagrams += 1; return }
        let data = response.response.data
        guard response.response.completionCode == .ok, !data.isEmpty else {
            openSession(suite: .suite3, &actions, entropy: &entropy)
            return
        }
        records += data.dropFirst()
        let page = request.data[2] & 0x3F
        if data.count == 17, page < 0x3F {
            requestCipherSuites(page: page + 1, records: records, &actions)
            return
        }
        let offered = GetChannelCipherSuites.suiteIDs(in: records)
        openSession(suite: offered.contains(17) ? .suite17 : .suite3, &actions, entropy: &entropy)
    }

    // MARK: Handshake

    /// Each step of handshake attempt n waits n retransmission intervals, as in-session retries do: with a fixed
    /// wait, a BMC whose round trip exceeds one interval could never finish, every retry restarting the handshake
    /// just before the answer to the previous one arrived.
    private mutating func openSession(suite: CipherSuite, _ actions: inout [ConsoleAction], entropy: inout some RandomNumberGenerator) {
        handshakeAttempt += 1
        tag &+= 1
        // ipmitool asks for "highest available" when it wants ADMINISTRATOR, otherwise for the level itself.
        let requested: PrivilegeLevel = configuration.privilege == .administrator ? .none : configuration.privilege
        let request = OpenSessionRequest(tag: tag, requestedPrivilege: requested, consoleSessionID: entropy.sessionID(), suite: suite)
        phase = .openSession(request, suite: suite)
        send(RMCPPlusPacket.encodePlain(payloadType: .openSessionRequest, payload: request.encoded()), &actions, wait: handshakeAttempt)
    }

    private mutating func receiveRMCPPlus(_ packet: RMCPPlusPacket, _ actions: inout [ConsoleAction],
                                          entropy: inout some RandomNumberGenerator) throws {
        switch packet.payloadType {
        case .ipmiMessage where packet.sessionID == 0 && !packet.isAuthenticated:
            try receiveCipherSuites(packet, &actions, entropy: &entropy)
        case .ipmiMessage:
            try receiveInSession(packet, &actions, entropy: &entropy)
        case .openSessionResponse:
            try receiveOpenSession(OpenSessionResponse.decode(packet.payload), &actions, entropy: &entropy)
        case .rakp2:
            try receiveRAKP2(RAKP2.decode(packet.payload), &actions)
        case .rakp4:
            try receiveRAKP4(RAKP4.decode(packet.payload), &actions, entropy: &entropy)
        default:
            ignoredDatagrams += 1
        }
    }

    private mutating func receiveOpenSession(_ response: OpenSessionResponse, _ actions: inout [ConsoleAction],
                                             entropy: inout some RandomNumberGenerator) throws {
        guard case .openSession(let request, let suite) = phase, response.tag == request.tag else { ignoredDatagrams += 1; return }
        guard response.status == .noErrors else {
            switch response.status {
            case .invalidAuthenticationAlgorithm, .invalidIntegrityAlgorithm, .invalidConfidentialityAlgorithm,
                 .noCipherSuiteMatch, .noMatchingAuthenticationPayload, .noMatchingIntegrityPayload:
                fail(.unsupportedCipherSuite(suite.id, response.status), &actions)
            case .unauthorizedRoleOrPrivilege, .invalidRole, .insufficientResourcesForRole:
                fail(.insufficientPrivilege(requested: configuration.privilege), &actions)
            default:
                fail(.handshakeRejected(response.status), &actions)
            }
            return
        }
        guard response.consoleSessionID == request.consoleSessionID else { ignoredDatagrams += 1; return }
        guard response.authentication == request.authentication, response.integrity == request.integrity,
              response.confidentiality == request.confidentiality else {
            fail(.protocolViolation("Open Session Response substituted the algorithms of \(suite)"), &actions)
            return
        }
        guard response.bmcSessionID != 0 else { fail(.protocolViolation("BMC session ID 0"), &actions); return }
        // A maximum of 0 is ipmi_sim echoing our "highest available" request: tolerated.
        if response.maximumPrivilege != 0, response.maximumPrivilege < configuration.privilege.rawValue {
            fail(.insufficientPrivilege(requested: configuration.privilege), &actions)
            return
        }
        let role = configuration.privilege.rawValue | (configuration.nameOnlyLookup ? RAKP1.nameOnlyLookup : 0)
        let rakp1 = RAKP1(tag: tag, bmcSessionID: response.bmcSessionID, consoleRandom: entropy.bytes(16), role: role,
                          username: configuration.username)
        phase = .rakp2(rakp1, suite: suite, consoleSessionID: request.consoleSessionID)
        send(RMCPPlusPacket.encodePlain(payloadType: .rakp1, payload: rakp1.encoded()), &actions, wait: handshakeAttempt)
    }

    private mutating func receiveRAKP2(_ message: RAKP2, _ actions: inout [ConsoleAction]) throws {
        guard case .rakp2(let rakp1, let suite, let consoleSessionID) = phase, message.tag == rakp1.tag else {
            ignoredDatagrams += 1
            return
        }
        guard message.status == .noErrors else {
            switch message.status {
            case .unauthorizedName, .invalidNameLength: fail(.unknownUser, &actions)
            case .unauthorizedRoleOrPrivilege, .invalidRole: fail(.insufficientPrivilege(requested: configuration.privilege), &actions)
            default: fail(.handshakeRejected(message.status), &actions)
            }
            return
        }
        guard message.consoleSessionID == consoleSessionID else { ignoredDatagrams += 1; return }
        let inputs = RAKPInputs(consoleSessionID: consoleSessionID, bmcSessionID: rakp1.bmcSessionID,
                                consoleRandom: rakp1.consoleRandom, bmcRandom: message.bmcRandom, bmcGUID: message.bmcGUID,
                                role: rakp1.role, username: rakp1.username)
        let exchange = KeyExchange(suite.authentication)
        guard message.authCode.count == suite.authentication.hmacLength,
              constantTimeEquals(exchange.rakp2AuthCode(password: configuration.password, inputs), message.authCode) else {
            // Like every real client, send no RAKP3: the BMC expires the half-open session.
            fail(.wrongPassword, &actions)
            return
        }
        let keys = exchange.sessionKeys(password: configuration.password, kg: configuration.kg, inputs)
        let rakp3 = RAKP3(tag: tag, status: .noErrors, bmcSessionID: rakp1.bmcSessionID,
                          authCode: exchange.rakp3AuthCode(password: configuration.password, inputs))
        phase = .rakp4(suite, inputs: inputs, keys: keys)
        send(RMCPPlusPacket.encodePlain(payloadType: .rakp3, payload: rakp3.encoded()), &actions, wait: handshakeAttempt)
    }

    private mutating func receiveRAKP4(_ message: RAKP4, _ actions: inout [ConsoleAction],
                                       entropy: inout some RandomNumberGenerator) throws {
        guard case .rakp4(let suite, let inputs, let keys) = phase, message.tag == tag else { ignoredDatagrams += 1; return }
        guard message.status == .noErrors else {
            fail(message.status == .invalidIntegrityCheckValue ? .wrongPassword : .handshakeRejected(message.status), &actions)
            return
        }
        guard message.consoleSessionID == inputs.consoleSessionID else { ignoredDatagrams += 1; return }
        let exchange = KeyExchange(suite.authentication)
        guard constantTimeEquals(exchange.rakp4ICV(sik: keys.sik, inputs), message.integrityCheckValue) else {
            fail(.wrongBMCKey, &actions)
            return
        }
        let summary = SessionSummary(suite: suite, privilege: .user, consoleSessionID: inputs.consoleSessionID,
                                     bmcSessionID: inputs.bmcSessionID)
        var active = Active(summary: summary, crypto: SessionCrypto(suite: suite, keys: keys))
        if configuration.privilege > .user {
            let request = SetSessionPrivilegeLevel.request(configuration.privilege)
            active.inFlight = InFlight(message: LANRequest(request, sequence: takeRequestSequence()), purpose: .setPrivilege)
            sendInSession(active.inFlight!, &active, &actions, entropy: &entropy)
            phase = .active(active)
        } else {
            active.summary.privilege = configuration.privilege
            becomeEstablished(&active, &actions, entropy: &entropy)
        }
    }

    // MARK: In session

    private mutating func receiveInSession(_ packet: RMCPPlusPacket, _ actions: inout [ConsoleAction],
                                           entropy: inout some RandomNumberGenerator) throws {
        guard case .active(var active) = phase, packet.sessionID == active.summary.consoleSessionID else {
            ignoredDatagrams += 1
            return
        }
        let plain = try active.crypto.open(packet)
        guard active.inbound.accepts(packet.sessionSequence) else { ignoredDatagrams += 1; return }
        active.inbound.record(packet.sessionSequence)
        let response = try LANResponse.decode(plain)
        guard let inFlight = active.inFlight, response.sequence == inFlight.message.sequence,
              response.command == inFlight.message.command, response.netFn == inFlight.message.netFn | 1,
              response.response.completionCode != .duplicateRequest else {
            phase = .active(active)
            ignoredDatagrams += 1
            return
        }
        active.inFlight = nil
        currentTimer = nil
        let answer = response.response
        switch inFlight.purpose {
        case .user(let token):
            phase = .active(active)
            actions.append(.completed(token, .success(answer)))
            pump(&actions, entropy: &entropy)
        case .keepAlive:
            phase = .active(active)
            pump(&actions, entropy: &entropy)
        case .setPrivilege:
            switch answer.completionCode {
            case .ok:
                active.summary.privilege = configuration.privilege
                becomeEstablished(&active, &actions, entropy: &entropy)
            case SetSessionPrivilegeLevel.levelNotAvailable, SetSessionPrivilegeLevel.levelExceedsLimit,
                 .insufficientPrivilege, CompletionCode(0x82), CompletionCode(0x83):
                phase = .active(active)
                fail(.insufficientPrivilege(requested: configuration.privilege), &actions)
            default:
                phase = .active(active)
                fail(.completionCode(answer.completionCode, "Set Session Privilege Level"), &actions)
            }
        case .close:
            phase = .closed
            actions.append(.closed)
        }
    }

    private mutating func becomeEstablished(_ active: inout Active, _ actions: inout [ConsoleAction],
                                            entropy: inout some RandomNumberGenerator) {
        active.isEstablished = true
        phase = .active(active)
        actions.append(.established(active.summary))
        pump(&actions, entropy: &entropy)
    }

    /// Starts the next message when nothing is in flight: a queued request, Close Session, or the keep-alive timer.
    private mutating func pump(_ actions: inout [ConsoleAction], entropy: inout some RandomNumberGenerator) {
        if case .idle = phase { actions += start(entropy: &entropy); return }
        guard case .active(var active) = phase, active.isEstablished, active.inFlight == nil else { return }
        if !queue.isEmpty {
            let (token, request) = queue.removeFirst()
            active.inFlight = InFlight(message: LANRequest(request, sequence: takeRequestSequence()), purpose: .user(token))
        } else if closeRequested {
            let request = CloseSession.request(bmcSessionID: active.summary.bmcSessionID)
            active.inFlight = InFlight(message: LANRequest(request, sequence: takeRequestSequence()), purpose: .close)
        } else {
            phase = .active(active)
            startTimer(after: configuration.keepAliveInterval, &actions)
            return
        }
        sendInSession(active.inFlight!, &active, &actions, entropy: &entropy)
        phase = .active(active)
    }

    // MARK: Sending

    private mutating func sendInSession(_ inFlight: InFlight, _ active: inout Active, _ actions: inout [ConsoleAction],
                                        entropy: inout some RandomNumberGenerator) {
        active.outbound = nextSequence(after: active.outbound)
        let bytes = active.crypto.seal(payloadType: .ipmiMessage, sessionID: active.summary.bmcSessionID,
                                       sequence: active.outbound, payload: inFlight.message.encoded(),
                                       iv: entropy.bytes(active.crypto.ivLength))
        send(bytes, &actions, wait: inFlight.attempts)
    }

    private mutating func send15(_ message: LANRequest, _ actions: inout [ConsoleAction]) {
        guard case .authenticationCapabilities(_, let attempt) = phase else { return }
        send(IPMI15Packet(message: message.encoded()).encoded(), &actions, wait: attempt)
    }

    private mutating func sendPreSessionPlus(_ message: LANRequest, _ actions: inout [ConsoleAction]) {
        guard case .cipherSuites(_, _, let attempt) = phase else { return }
        send(RMCPPlusPacket.encodePlain(payloadType: .ipmiMessage, payload: message.encoded()), &actions, wait: attempt)
    }

    /// Sends and arms the retransmission timer: attempt n waits n intervals.
    private mutating func send(_ bytes: [UInt8], _ actions: inout [ConsoleAction], wait attempt: Int) {
        actions.append(.send(bytes))
        startTimer(after: configuration.retransmitInterval * attempt, &actions)
    }

    private mutating func startTimer(after delay: Duration, _ actions: inout [ConsoleAction]) {
        timerCounter += 1
        let token = TimerToken(rawValue: timerCounter)
        currentTimer = token
        actions.append(.startTimer(token, after: delay))
    }

    private mutating func takeRequestSequence() -> UInt8 {
        defer { requestSequence = (requestSequence + 1) & 0x3F }
        return requestSequence
    }

    private mutating func failQueue(_ error: ConsoleError, _ actions: inout [ConsoleAction]) {
        for (token, _) in queue { actions.append(.completed(token, .failure(error))) }
        queue.removeAll()
    }

    private mutating func fail(_ error: ConsoleError, _ actions: inout [ConsoleAction]) {
        if case .active(let active) = phase, case .user(let token) = active.inFlight?.purpose {
            actions.append(.completed(token, .failure(error)))
        }
        failQueue(error, &actions)
        currentTimer = nil
        phase = .failed(error)
        actions.append(.failed(error))
    }
}

extension ConsoleStateMachine {
    enum Phase: Sendable {
        case idle
        case authenticationCapabilities(LANRequest, attempt: Int)
        case cipherSuites(LANRequest, records: [UInt8], attempt: Int)
        case openSession(OpenSessionRequest, suite: CipherSuite)
        case rakp2(RAKP1, suite: CipherSuite, consoleSessionID: UInt32)
        case rakp4(CipherSuite, inputs: RAKPInputs, keys: SessionKeys)
        case active(Active)
        case closed
        case failed(ConsoleError)
    }

    struct Active: Sendable {
        var summary: SessionSummary
        var crypto: SessionCrypto
        var isEstablished = false
        var outbound: UInt32 = 0
        var inbound = SequenceWindow()
        var inFlight: InFlight?
    }

    struct InFlight: Sendable {
        var message: LANRequest
        var purpose: Purpose
        var attempts = 1
    }

    enum Purpose: Sendable, CustomStringConvertible {
        case user(RequestToken)
        case setPrivilege
        case keepAlive
        case close

        var description: String {
            switch self {
            case .user(let token): "\(token)"
            case .setPrivilege: "Set Session Privilege Level"
            case .keepAlive: "the keep-alive Get Device ID"
            case .close: "Close Session"
            }
        }
    }
}
