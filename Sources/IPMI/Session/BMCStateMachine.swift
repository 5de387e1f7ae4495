/// The BMC side of IPMI-over-LAN: answers pre-session commands, runs the RMCP+ handshake, keeps a bounded table
/// of sessions keyed by the BMC's own session ID, and unwraps in-session requests for the application.
///
/// Pure: the shell passes every datagram, its sender, the time and an entropy source, and performs the output.
public struct BMCStateMachine<Peer: Hashable & Sendable>: Sendable {
    public enum Output: Sendable {
        /// Send these bytes back to the sender.
        case reply([UInt8])
        /// An authorised in-session request for the application; answer it with `respond(to:with:entropy:)`.
        case dispatch(InboundRequest)
        /// Nothing to send: the datagram was malformed, unauthenticated, replayed, or for an unknown session.
        case ignored(IgnoredReason)
    }

    public enum IgnoredReason: Sendable, Hashable {
        case malformed(IPMIDecodingError)
        case unknownSession
        case wrongPeer
        case replayed
        case notSupported
    }

    /// A request that passed every check, waiting for the application's answer.
    public struct InboundRequest: Sendable {
        public var sessionID: UInt32
        public var peer: Peer
        public var message: LANRequest
        public var privilege: PrivilegeLevel
        public var username: [UInt8]
        public var request: IPMIRequest { message.request }
    }

    /// Settable so a shell can change users or limits at run time (a virtual BMC's faults do); sessions already
    /// open keep what they negotiated.
    public var configuration: BMCConfiguration
    public private(set) var sessions: [UInt32: BMCSession<Peer>] = [:]

    public init(configuration: BMCConfiguration) {
        self.configuration = configuration
    }

    public var activeSessionCount: Int { sessions.values.lazy.filter(\.isActive).count }

    public mutating func receive(_ datagram: [UInt8], from peer: Peer, now: Duration,
                                 entropy: inout some RandomNumberGenerator) -> Output {
        do {
            switch try Datagram.decode(datagram) {
            case .asf(let message):
                guard message.messageType == ASFMessage.presencePing else { return .ignored(.notSupported) }
                return .reply(ASFMessage.pong(tag: message.tag).encoded())
            case .ipmi15(let packet):
                return try receivePreSession15(packet)
            case .rmcpPlus(let packet):
                return try receiveRMCPPlus(packet, from: peer, now: now, entropy: &entropy)
            }
        } catch let error as IPMIDecodingError {
            return .ignored(.malformed(error))
        } catch {
            return .ignored(.malformed(IPMIDecodingError(.invalidField, at: 0, "\(error)")))
        }
    }

    /// Seals the application's answer inside the request's session. Nil when the session is gone meanwhile.
    public mutating func respond(to request: InboundRequest, with response: IPMIResponse,
                                 entropy: inout some RandomNumberGenerator) -> [UInt8]? {
        guard var session = sessions[request.sessionID], session.peer == request.peer else { return nil }
        session.remember(request.message, response)
        let bytes = session.seal(LANResponse(answering: request.message, with: response).encoded(), entropy: &entropy)
        sessions[request.sessionID] = session
        return bytes
    }

    /// Drops half-open sessions older than the set-up timeout and active sessions idle past the idle timeout.
    /// Returns the IDs removed.
    @discardableResult
    public mutating func expireSessions(now: Duration) -> [UInt32] {
        let expired = sessions.values.filter { session in
            let limit = session.isActive ? configuration.idleTimeout : configuration.setupTimeout
            return now - session.lastActivity >= limit
        }.map(\.bmcSessionID)
        for id in expired { sessions[id] = nil }
        return expired
    }

    // MARK: Pre-session

    private func receivePreSession15(_ packet: IPMI15Packet) throws -> Output {
        guard packet.sessionID == 0 else { return .ignored(.notSupported) }
        let request = try LANRequest.decode(packet.message)
        let response = preSessionResponse(request)
        return .reply(IPMI15Packet(message: LANResponse(answering: request, with: response).encoded()).encoded())
    }

    /// Answers the commands a console may send outside any session.
    private func preSessionResponse(_ message: LANRequest) -> IPMIResponse {
        guard message.netFn == NetFn.application else { return .error(.invalidCommand) }
        switch message.command {
        case GetChannelAuthenticationCapabilities.command: return authenticationCapabilities(message.data)
        case GetChannelCipherSuites.command: return cipherSuites(message.data)
        default: return .error(.invalidCommand)
        }
    }

    private func authenticationCapabilities(_ data: [UInt8]) -> IPMIResponse {
        guard let request = try? GetChannelAuthenticationCapabilities.Request(data: data) else {
            return .error(.requestDataLengthInvalid)
        }
        guard request.channel == GetChannelAuthenticationCapabilities.currentChannel || request.channel == configuration.channel else {
            return .error(.invalidDataField)
        }
        let hasNamedUsers = configuration.users.contains { !$0.name.isEmpty && $0.enabled }
        let hasNullUser = configuration.users.contains { $0.name.isEmpty && $0.enabled }
        var status: UInt8 = (hasNamedUsers ? 0x04 : 0) | (hasNullUser ? 0x02 : 0)
        if configuration.kg != nil { status |= 0x20 }
        let response = GetChannelAuthenticationCapabilities.Response(
            channel: configuration.channel, authTypeSupport: 0x80, authStatus: status, extendedCapabilities: 0x02)
        return IPMIResponse(data: response.data)
    }

    private func cipherSuites(_ data: [UInt8]) -> IPMIResponse {
        guard let request = try? GetChannelCipherSuites.Request(data: data) else { return .error(.requestDataLengthInvalid) }
        guard request.payloadType == 0 else { return .error(.invalidDataField) }
        let records = GetChannelCipherSuites.records(for: configuration.cipherSuites)
        let start = Int(request.listIndex) * 16
        let page = start < records.count ? Array(records[start..<min(start + 16, records.count)]) : []
        return IPMIResponse(data: [configuration.channel] + page)
    }

    // MARK: RMCP+

    private mutating func receiveRMCPPlus(_ packet: RMCPPlusPacket, from peer: Peer, now: Duration,
                                          entropy: inout some RandomNumberGenerator) throws -> Output {
        switch packet.payloadType {
        case .ipmiMessage where packet.sessionID == 0:
            guard !packet.isAuthenticated, !packet.isEncrypted else { return .ignored(.notSupported) }
            let request = try LANRequest.decode(packet.payload)
            let response = LANResponse(answering: request, with: preSessionResponse(request)).encoded()
            return .reply(RMCPPlusPacket.encodePlain(payloadType: .ipmiMessage, payload: response))
        case .ipmiMessage:
            return try receiveInSession(packet, from: peer, now: now, entropy: &entropy)
        case .openSessionRequest:
            let request = try OpenSessionRequest.decode(packet.payload)
            let response = openSession(request, from: peer, now: now, entropy: &entropy)
            return .reply(RMCPPlusPacket.encodePlain(payloadType: .openSessionResponse, payload: response.encoded()))
        case .rakp1:
            let message = try RAKP1.decode(packet.payload)
            guard let response = rakp1(message, from: peer, now: now, entropy: &entropy) else { return .ignored(.wrongPeer) }
            return .reply(RMCPPlusPacket.encodePlain(payloadType: .rakp2, payload: response.encoded()))
        case .rakp3:
            let message = try RAKP3.decode(packet.payload)
            guard let response = rakp3(message, from: peer, now: now) else { return .ignored(.unknownSession) }
            return .reply(RMCPPlusPacket.encodePlain(payloadType: .rakp4, payload: response.encoded()))
        case .sol, .openSessionResponse, .rakp2, .rakp4:
            return .ignored(.notSupported)
        }
    }

    private mutating func openSession(_ request: OpenSessionRequest, from peer: Peer, now: Duration,
                                      entropy: inout some RandomNumberGenerator) -> OpenSessionResponse {
        func refuse(_ status: RMCPPlusStatus) -> OpenSessionResponse {
            OpenSessionResponse(tag: request.tag, status: status, consoleSessionID: request.consoleSessionID)
        }
        let offered = configuration.cipherSuites
        guard let suite = CipherSuite(authentication: request.authentication, integrity: request.integrity,
                                      confidentiality: request.confidentiality), offered.contains(suite) else {
            // Name the first algorithm no offered suite uses; never substitute another suite.
            if !offered.contains(where: { $0.authentication.rawValue == request.authentication }) { return refuse(.invalidAuthenticationAlgorithm) }
            if !offered.contains(where: { $0.integrity.rawValue == request.integrity }) { return refuse(.invalidIntegrityAlgorithm) }
            if !offered.contains(where: { $0.confidentiality.rawValue == request.confidentiality }) { return refuse(.invalidConfidentialityAlgorithm) }
            return refuse(.noCipherSuiteMatch)
        }
        let limit = configuration.channelPrivilegeLimit
        let granted = request.requestedPrivilege == .none ? limit : request.requestedPrivilege
        guard granted <= limit else { return refuse(.unauthorizedRoleOrPrivilege) }
        expireSessions(now: now)
        guard sessions.count < configuration.maximumSessions else { return refuse(.insufficientResources) }
        var sessionID = entropy.sessionID()
        while sessions[sessionID] != nil { sessionID = entropy.sessionID() }
        sessions[sessionID] = BMCSession(bmcSessionID: sessionID, consoleSessionID: request.consoleSessionID, peer: peer,
                                         suite: suite, maximumPrivilege: granted, lastActivity: now)
        return OpenSessionResponse(
            tag: request.tag, status: .noErrors, maximumPrivilege: granted.rawValue,
            consoleSessionID: request.consoleSessionID, bmcSessionID: sessionID, authentication: suite.authentication.rawValue,
            integrity: suite.integrity.rawValue, confidentiality: suite.confidentiality.rawValue)
    }

    private mutating func rakp1(_ message: RAKP1, from peer: Peer, now: Duration,
                                entropy: inout some RandomNumberGenerator) -> RAKP2? {
        guard var session = sessions[message.bmcSessionID] else {
            return RAKP2(tag: message.tag, status: .invalidSessionID, consoleSessionID: 0)
        }
        guard session.peer == peer else { return nil }
        func refuse(_ status: RMCPPlusStatus) -> RAKP2 {
            sessions[message.bmcSessionID] = nil
            return RAKP2(tag: message.tag, status: status, consoleSessionID: session.consoleSessionID)
        }
        guard !session.isActive else {
            // A delayed duplicate, or anyone who read the session ID off the wire: RAKP1 is unauthenticated, so it
            // must not tear down an established session. Refuse it and keep the session.
            return RAKP2(tag: message.tag, status: .inactiveSessionID, consoleSessionID: session.consoleSessionID)
        }
        guard message.hasValidNameLength, message.username.count <= 16 else { return refuse(.invalidNameLength) }
        guard let requested = message.requestedPrivilege, requested != .none else { return refuse(.invalidRole) }
        guard let user = configuration.users.first(where: { $0.enabled && $0.name == message.username }) else {
            return refuse(.unauthorizedName)
        }
        if requested > user.maximumPrivilege || requested > session.maximumPrivilege {
            // Name-only lookup found the user but not the role; username+privilege lookup found no such entry.
            return refuse(message.isNameOnlyLookup ? .unauthorizedRoleOrPrivilege : .unauthorizedName)
        }
        let exchange = KeyExchange(session.suite.authentication)
        if case .awaitingRAKP3(let previous, _, _) = session.handshake, previous.consoleRandom == message.consoleRandom,
           previous.role == message.role, previous.username == message.username {
            // The same RAKP1 again (the network duplicated it): repeat the RAKP2 with the same BMC random. A fresh
            // random would no longer match the RAKP3 the console computes over the first RAKP2, and a good
            // handshake would fail as a wrong password.
            return RAKP2(tag: message.tag, status: .noErrors, consoleSessionID: session.consoleSessionID,
                         bmcRandom: previous.bmcRandom, bmcGUID: configuration.guid,
                         authCode: exchange.rakp2AuthCode(password: user.password, previous))
        }
        let inputs = RAKPInputs(
            consoleSessionID: session.consoleSessionID, bmcSessionID: session.bmcSessionID,
            consoleRandom: message.consoleRandom, bmcRandom: entropy.bytes(16), bmcGUID: configuration.guid,
            role: message.role, username: message.username)
        session.handshake = .awaitingRAKP3(inputs: inputs, user: user, requested: requested)
        session.lastActivity = now
        sessions[message.bmcSessionID] = session
        return RAKP2(tag: message.tag, status: .noErrors, consoleSessionID: session.consoleSessionID,
                     bmcRandom: inputs.bmcRandom, bmcGUID: configuration.guid,
                     authCode: exchange.rakp2AuthCode(password: user.password, inputs))
    }

    private mutating func rakp3(_ message: RAKP3, from peer: Peer, now: Duration) -> RAKP4? {
        guard var session = sessions[message.bmcSessionID], session.peer == peer else { return nil }
        switch session.handshake {
        case .awaitingRAKP1:
            sessions[message.bmcSessionID] = nil
            return RAKP4(tag: message.tag, status: .invalidSessionID, consoleSessionID: session.consoleSessionID)
        case .active(_, let rakp4):
            // RAKP4 was lost and the console sent RAKP3 again: repeat the answer, change nothing.
            return rakp4.tag == message.tag ? rakp4 : nil
        case .awaitingRAKP3(let inputs, let user, let requested):
            guard message.status == .noErrors else {
                sessions[message.bmcSessionID] = nil
                return nil
            }
            let exchange = KeyExchange(session.suite.authentication)
            guard constantTimeEquals(exchange.rakp3AuthCode(password: user.password, inputs), message.authCode) else {
                sessions[message.bmcSessionID] = nil
                return RAKP4(tag: message.tag, status: .invalidIntegrityCheckValue, consoleSessionID: session.consoleSessionID)
            }
            let keys = exchange.sessionKeys(password: user.password, kg: configuration.kg, inputs)
            let rakp4 = RAKP4(tag: message.tag, status: .noErrors, consoleSessionID: session.consoleSessionID,
                              integrityCheckValue: exchange.rakp4ICV(sik: keys.sik, inputs))
            session.handshake = .active(SessionCrypto(suite: session.suite, keys: keys), rakp4: rakp4)
            session.username = user.name
            session.maximumPrivilege = min(requested, user.maximumPrivilege)
            session.privilege = min(.user, session.maximumPrivilege)
            session.lastActivity = now
            sessions[message.bmcSessionID] = session
            return rakp4
        }
    }

    // MARK: In session

    private mutating func receiveInSession(_ packet: RMCPPlusPacket, from peer: Peer, now: Duration,
                                           entropy: inout some RandomNumberGenerator) throws -> Output {
        guard var session = sessions[packet.sessionID], case .active(let crypto, _) = session.handshake else {
            return .ignored(.unknownSession)
        }
        guard session.peer == peer else { return .ignored(.wrongPeer) }
        let plain = try crypto.open(packet)
        guard session.inbound.accepts(packet.sessionSequence) else { return .ignored(.replayed) }
        session.inbound.record(packet.sessionSequence)
        session.lastActivity = now
        sessions[packet.sessionID] = session
        let message = try LANRequest.decode(plain)

        if let answer = session.recentAnswer(to: message, now: now, lifetime: configuration.retransmitCacheLifetime) {
            // A retransmit of a request already answered (same rqSeq, command and data): answer again, do not re-run
            // it. Not only the last one: with reordering, a late retransmit can arrive after the next request.
            // Not remembered again: a client that reuses one rqSeq must not see the same answer for ever.
            return .reply(reply(message, answer, in: packet.sessionID, remembering: false, entropy: &entropy))
        }
        switch CommandKey(netFn: message.netFn, command: message.command) {
        case CommandKey(netFn: NetFn.application, command: SetSessionPrivilegeLevel.command):
            let response = setPrivilege(message.data, session: packet.sessionID)
            return .reply(reply(message, response, in: packet.sessionID, entropy: &entropy))
        case CommandKey(netFn: NetFn.application, command: CloseSession.command):
            return .reply(closeSession(message, in: packet.sessionID, entropy: &entropy))
        case CommandKey(netFn: NetFn.application, command: GetChannelAuthenticationCapabilities.command),
             CommandKey(netFn: NetFn.application, command: GetChannelCipherSuites.command):
            return .reply(reply(message, preSessionResponse(message), in: packet.sessionID, entropy: &entropy))
        case let key:
            guard let needed = configuration.commandPrivileges[key] else {
                return .reply(reply(message, .error(.invalidCommand), in: packet.sessionID, entropy: &entropy))
            }
            guard session.privilege >= needed else {
                return .reply(reply(message, .error(.insufficientPrivilege), in: packet.sessionID, entropy: &entropy))
            }
            return .dispatch(InboundRequest(sessionID: packet.sessionID, peer: peer, message: message,
                                            privilege: session.privilege, username: session.username))
        }
    }

    private mutating func reply(_ message: LANRequest, _ response: IPMIResponse, in sessionID: UInt32,
                                remembering: Bool = true, entropy: inout some RandomNumberGenerator) -> [UInt8] {
        var session = sessions[sessionID]!
        if remembering { session.remember(message, response) }
        let bytes = session.seal(LANResponse(answering: message, with: response).encoded(), entropy: &entropy)
        sessions[sessionID] = session
        return bytes
    }

    private mutating func setPrivilege(_ data: [UInt8], session sessionID: UInt32) -> IPMIResponse {
        guard data.count == 1 else { return .error(.requestDataLengthInvalid) }
        var session = sessions[sessionID]!
        let raw = data[0] & 0x0F
        if raw == 0 { return IPMIResponse(data: [session.privilege.rawValue]) }
        guard let level = PrivilegeLevel(rawValue: raw), level >= .user else { return .error(.invalidDataField) }
        guard level <= session.maximumPrivilege else { return .error(SetSessionPrivilegeLevel.levelExceedsLimit) }
        session.privilege = level
        sessions[sessionID] = session
        return IPMIResponse(data: [level.rawValue])
    }

    /// Answers inside the session first, then removes the closed session.
    private mutating func closeSession(_ message: LANRequest, in sessionID: UInt32,
                                       entropy: inout some RandomNumberGenerator) -> [UInt8] {
        guard let target = try? CloseSession.sessionID(in: message.data) else {
            return reply(message, .error(.requestDataLengthInvalid), in: sessionID, entropy: &entropy)
        }
        guard sessions[target] != nil else {
            return reply(message, .error(CloseSession.invalidSessionID), in: sessionID, entropy: &entropy)
        }
        if target != sessionID, sessions[sessionID]!.privilege < .administrator {
            return reply(message, .error(.insufficientPrivilege), in: sessionID, entropy: &entropy)
        }
        let bytes = reply(message, .ok(), in: sessionID, entropy: &entropy)
        sessions[target] = nil
        return bytes
    }
}

extension IPMIResponse {
    static func ok(_ data: [UInt8] = []) -> Self { Self(completionCode: .ok, data: data) }
}

/// One row of the BMC's session table.
public struct BMCSession<Peer: Hashable & Sendable>: Sendable {
    enum Handshake: Sendable {
        case awaitingRAKP1
        case awaitingRAKP3(inputs: RAKPInputs, user: BMCUser, requested: PrivilegeLevel)
        case active(SessionCrypto, rakp4: RAKP4)
    }

    public let bmcSessionID: UInt32
    public let consoleSessionID: UInt32
    public let peer: Peer
    public let suite: CipherSuite
    public internal(set) var maximumPrivilege: PrivilegeLevel
    public internal(set) var privilege: PrivilegeLevel = .user
    public internal(set) var username: [UInt8] = []
    public internal(set) var lastActivity: Duration
    var handshake: Handshake = .awaitingRAKP1
    var inbound = SequenceWindow()
    var outboundSequence: UInt32 = 0
    /// The latest answers, oldest first, one per request and as many as the replay window is wide: a retransmit the
    /// window accepts is at most that many packets late, so its request's answer is normally still here. rqSeq is
    /// 6 bits and steps once per new request, so a new request cannot match one of these.
    /// Each answer keeps the time it was given: a client that reuses one rqSeq for every request (some do) must not
    /// get a stale answer long after any retransmission could still arrive.
    var recentAnswers: [(request: LANRequest, response: IPMIResponse, answeredAt: Duration)] = []

    init(bmcSessionID: UInt32, consoleSessionID: UInt32, peer: Peer, suite: CipherSuite,
         maximumPrivilege: PrivilegeLevel, lastActivity: Duration) {
        self.bmcSessionID = bmcSessionID
        self.consoleSessionID = consoleSessionID
        self.peer = peer
        self.suite = suite
        self.maximumPrivilege = maximumPrivilege
        self.lastActivity = lastActivity
    }

    public var isActive: Bool {
        if case .active = handshake { return true }
        return false
    }

    func recentAnswer(to message: LANRequest, now: Duration, lifetime: Duration) -> IPMIResponse? {
        guard let entry = recentAnswers.last(where: { $0.request == message }), now - entry.answeredAt <= lifetime else {
            return nil
        }
        return entry.response
    }

    mutating func remember(_ message: LANRequest, _ response: IPMIResponse) {
        recentAnswers.removeAll { $0.request == message }
        if recentAnswers.count >= Int(SequenceWindow.behind) { recentAnswers.removeFirst() }
        recentAnswers.append((message, response, lastActivity))
    }

    /// Outbound session sequence numbers start at 1 and never take the value 0.
    mutating func seal(_ message: [UInt8], entropy: inout some RandomNumberGenerator) -> [UInt8] {
        guard case .active(let crypto, _) = handshake else { preconditionFailure("sealing outside an active session") }
        outboundSequence = nextSequence(after: outboundSequence)
        return crypto.seal(payloadType: .ipmiMessage, sessionID: consoleSessionID, sequence: outboundSequence,
                           payload: message, iv: entropy.bytes(crypto.ivLength))
    }
}
