import IPMI
import Testing

/// The console state machine: against our BMC in memory, and against hand-fed replies of other BMCs
/// (ipmi.md section 14, client side).
@Suite("Console")
struct ConsoleTests {
    static func console(_ configure: (inout ConsoleConfiguration) -> Void = { _ in }) -> ConsoleConfiguration {
        var configuration = ConsoleConfiguration(username: "admin", password: "password")
        configure(&configuration)
        return configuration
    }

    // MARK: Against BMCStateMachine

    @Test("handshake, requests and close", arguments: [UInt8?.none, 3, 17])
    func fullSession(suite: UInt8?) throws {
        var link = InMemoryLink(bmc: makeBMCConfiguration(), console: Self.console { $0.cipherSuite = suite })
        link.application = { request in
            request == GetChassisStatus.request ? IPMIResponse(data: [0x01, 0x00, 0x00]) : IPMIResponse()
        }
        link.start()
        let summary = try #require(link.established)
        #expect(link.failure == nil)
        #expect(summary.suite.id == (suite ?? 17))
        #expect(summary.privilege == .administrator)
        #expect(link.console.summary == summary)
        let session = try #require(link.bmc.sessions[summary.bmcSessionID])
        #expect(session.privilege == .administrator && session.consoleSessionID == summary.consoleSessionID)

        let status = link.send(GetChassisStatus.request)
        #expect(link.results[status] == .success(IPMIResponse(data: [0x01, 0x00, 0x00])))
        let control = link.send(ChassisControl.powerCycle.request)
        #expect(link.results[control] == .success(IPMIResponse()))
        let probe = link.send(IPMIRequest(netFn: 0x2C, command: 0x3E, data: [0, 2]))
        #expect(link.results[probe] == .success(.error(.invalidCommand)))
        #expect(link.dispatched == [GetChassisStatus.request, ChassisControl.powerCycle.request])

        link.close()
        #expect(link.closed && link.console.isFinished)
        #expect(link.bmc.sessions.isEmpty)
        let late = link.send(GetDeviceID.request)
        #expect(link.results[late] == .failure(.sessionClosed))
        #expect(link.console.ignoredDatagrams == 0)
    }

    @Test func requestsQueuedBeforeTheSessionRunInOrder() throws {
        var link = InMemoryLink(bmc: makeBMCConfiguration(), console: Self.console())
        link.application = { request in IPMIResponse(data: [request.command]) }
        // Enqueuing on an idle machine starts the handshake; the second request waits behind the first.
        let (first, startActions) = link.console.enqueue(GetDeviceID.request, entropy: &link.consoleEntropy)
        let (second, nothing) = link.console.enqueue(GetChassisStatus.request, entropy: &link.consoleEntropy)
        #expect(startActions.sentDatagrams == [hx("0600ff07 00 00000000 00000000 09 2018c88100388e04b5")])
        #expect(nothing.isEmpty)
        link.run(startActions)
        #expect(link.results[first] == .success(IPMIResponse(data: [0x01])))
        #expect(link.results[second] == .success(IPMIResponse(data: [0x01])))
        #expect(link.dispatched == [GetDeviceID.request, GetChassisStatus.request])
    }

    @Test func wrongPassword() throws {
        var link = InMemoryLink(bmc: makeBMCConfiguration(), console: Self.console { $0.password = Array("wrong".utf8) })
        link.start()
        #expect(link.failure == .wrongPassword)
        #expect(link.established == nil)
        // Like every real client: no RAKP3 after a bad RAKP2; the BMC expires the half-open session itself.
        #expect(link.consoleToBMC.last?[5] == PayloadType.rakp1.rawValue)
        #expect(link.bmc.sessions.count == 1 && link.bmc.activeSessionCount == 0)
        #expect(link.bmc.expireSessions(now: .seconds(5)).count == 1)
        #expect(link.console.isFinished)
    }

    @Test func unknownUser() throws {
        var link = InMemoryLink(bmc: makeBMCConfiguration(), console: Self.console { $0.username = Array("nobody".utf8) })
        link.start()
        #expect(link.failure == .unknownUser)
        #expect(link.bmc.sessions.isEmpty)
    }

    @Test func wrongBMCKey() throws {
        let kg = Array("the-bmc-key-20-bytes".utf8)
        for consoleKey in [nil, Array("another-key-20-bytes".utf8)] {
            var link = InMemoryLink(bmc: makeBMCConfiguration(kg: kg), console: Self.console { $0.kg = consoleKey })
            link.start()
            #expect(link.failure == .wrongBMCKey)
            #expect(link.established == nil)
        }
        var link = InMemoryLink(bmc: makeBMCConfiguration(kg: kg), console: Self.console { $0.kg = kg })
        link.start()
        #expect(link.established != nil && link.failure == nil)
        // And the other way round: a console key the BMC does not have.
        var noKg = InMemoryLink(bmc: makeBMCConfiguration(), console: Self.console { $0.kg = kg })
        noKg.start()
        #expect(noKg.failure == .wrongBMCKey)
    }

    @Test func pinnedSuite17AgainstASuite3BMC() throws {
        var link = InMemoryLink(bmc: makeBMCConfiguration(suites: [.suite3]), console: Self.console { $0.cipherSuite = 17 })
        link.start()
        #expect(link.failure == .unsupportedCipherSuite(17, .invalidAuthenticationAlgorithm))
        #expect(link.bmc.sessions.isEmpty)
        // Suite 0 is refused by the console itself unless allowed, and unknown suites too.
        for suite in [UInt8(0), 1, 16] {
            var refused = InMemoryLink(bmc: makeBMCConfiguration(suites: [.suite3, .suite0]), console: Self.console { $0.cipherSuite = suite })
            refused.start()
            #expect(refused.failure == .unsupportedCipherSuite(suite, nil))
            #expect(refused.consoleToBMC.count == 1)
        }
        var insecure = InMemoryLink(bmc: makeBMCConfiguration(suites: [.suite3, .suite0]), console: Self.console {
            $0.cipherSuite = 0
            $0.allowsSuite0 = true
        })
        insecure.start()
        #expect(insecure.established?.suite == .suite0)
    }

    @Test func privilegeBeyondTheUsersLimit() throws {
        let users = [BMCUser(name: "op", password: "oppass", maximumPrivilege: .operator)]
        var link = InMemoryLink(bmc: makeBMCConfiguration(users: users), console: ConsoleConfiguration(username: "op", password: "oppass"))
        link.start()
        #expect(link.failure == .insufficientPrivilege(requested: .administrator))

        var fits = InMemoryLink(bmc: makeBMCConfiguration(users: users),
                                console: ConsoleConfiguration(username: "op", password: "oppass", privilege: .operator))
        fits.start()
        #expect(fits.established?.privilege == .operator)
        // FreeIPMI style: Open Session asks for OPERATOR itself.
        try #require(fits.consoleToBMC.count > 2)
        let open = try OpenSessionRequest.decode(try plainPayload(fits.consoleToBMC[2], .openSessionRequest)[...])
        #expect(open.requestedPrivilege == .operator)
    }

    @Test func userPrivilegeNeedsNoSetSessionPrivilege() throws {
        var link = InMemoryLink(bmc: makeBMCConfiguration(), console: Self.console { $0.privilege = .user; $0.cipherSuite = 3 })
        link.start()
        #expect(link.established?.privilege == .user)
        // Auth caps, Open Session, RAKP1, RAKP3: nothing in session yet.
        #expect(link.consoleToBMC.count == 4)
        let control = link.send(ChassisControl.powerUp.request)
        #expect(link.results[control] == .success(.error(.insufficientPrivilege)))
        #expect(link.dispatched.isEmpty)
    }

    @Test func setSessionPrivilegeRefusedFailsTheSession() throws {
        // Channel limit OPERATOR: the BMC grants 3 in Open Session, so the console gives up on ADMINISTRATOR there.
        var configuration = makeBMCConfiguration()
        configuration.channelPrivilegeLimit = .operator
        var link = InMemoryLink(bmc: configuration, console: Self.console())
        link.start()
        #expect(link.failure == .insufficientPrivilege(requested: .administrator))
    }

    // MARK: Hand-fed replies of other BMCs

    /// A console that has sent its Open Session request (pinned suite), with the captured SIDm.
    struct Manual {
        var machine: ConsoleStateMachine
        var entropy = ScriptedGenerator()
        var actions: [ConsoleAction] = []

        init(suite: UInt8?, privilege: PrivilegeLevel = .administrator) {
            machine = ConsoleStateMachine(configuration: ConsoleConfiguration(
                username: "admin", password: "password", privilege: privilege, cipherSuite: suite))
            entropy.queueSessionID(0xA0A2_A3A4)
            actions = machine.start(entropy: &entropy)
        }

        mutating func feed(_ datagram: [UInt8]) -> [ConsoleAction] {
            actions = machine.receive(datagram, entropy: &entropy)
            return actions
        }

        /// The ipmi_sim answer to Get Channel Auth Caps (rqSeq 0).
        mutating func feedAuthCaps() -> [ConsoleAction] {
            feed(hx("0600ff0700000000000000000010811c6320003800019704030000000009"))
        }
    }

    static func openSessionReply(_ payload: [UInt8]) -> [UInt8] {
        RMCPPlusPacket.encodePlain(payloadType: .openSessionResponse, payload: payload)
    }

    @Test func toleratesShortOpenSessionErrorReplies() throws {
        // ipmi_sim: two bytes for a suite it does not have.
        var ipmiSim = Manual(suite: 17)
        let open = try OpenSessionRequest.decode(try plainPayload(ipmiSim.feedAuthCaps().sentDatagrams.first, .openSessionRequest)[...])
        #expect(open.authentication == 3 && open.integrity == 4 && open.confidentiality == 1 && open.consoleSessionID == 0xA0A2_A3A4)
        #expect(ipmiSim.feed(Self.openSessionReply([open.tag, 0x04])).failure == .unsupportedCipherSuite(17, .invalidAuthenticationAlgorithm))
        #expect(ipmiSim.machine.isFinished)

        // The reference BMC's eight-byte form.
        var refbmc = Manual(suite: 17)
        _ = refbmc.feedAuthCaps()
        #expect(refbmc.feed(Self.openSessionReply([open.tag, 0x11, 0, 0] + le32(0xA0A2_A3A4))).failure
                == .unsupportedCipherSuite(17, .noCipherSuiteMatch))

        // Out of sessions.
        var busy = Manual(suite: 3)
        _ = busy.feedAuthCaps()
        #expect(busy.feed(Self.openSessionReply([open.tag, 0x01])).failure == .handshakeRejected(.insufficientResources))

        // A reply with another tag is someone else's (a stale handshake): ignored.
        var stale = Manual(suite: 3)
        _ = stale.feedAuthCaps()
        #expect(stale.feed(Self.openSessionReply([open.tag &+ 1, 0x04])).isEmpty)
        #expect(stale.machine.ignoredDatagrams == 1 && !stale.machine.isFinished)
    }

    @Test func toleratesMaximumPrivilegeZeroInTheOpenSessionReply() throws {
        let capture = try #require(SetupCapture.all.first { $0.suite == .suite3 })
        var console = Manual(suite: 3)
        _ = console.feedAuthCaps()
        // ipmi_sim's captured reply: privilege 00. With our tag the console goes on with RAKP1.
        let actions = console.feed(ConsoleReplay.withTag(capture.openSessionResponse, 1))
        #expect(actions.failure == nil)
        let rakp1 = try RAKP1.decode(try plainPayload(actions.sentDatagrams.first, .rakp1)[...])
        #expect(rakp1.bmcSessionID == capture.bmcSessionID && rakp1.role == 0x14 && rakp1.username == Array("admin".utf8))
        #expect(rakp1.tag == 1)

        // A real maximum below what we want is refused at once.
        var low = Manual(suite: 3)
        _ = low.feedAuthCaps()
        var userOnly = ConsoleReplay.withTag(capture.openSessionResponse, 1)
        userOnly[18] = 0x02
        #expect(low.feed(userOnly).failure == .insufficientPrivilege(requested: .administrator))
    }

    @Test func checksTheOpenSessionReply() throws {
        let capture = try #require(SetupCapture.all.first { $0.suite == .suite3 })
        // Substituted algorithms (the pyghmi BMC answers 17 with 3).
        var substituted = Manual(suite: 17)
        _ = substituted.feedAuthCaps()
        let failure = substituted.feed(ConsoleReplay.withTag(capture.openSessionResponse, 1)).failure
        guard case .protocolViolation = failure else {
            Issue.record("expected a protocol violation, got \(String(describing: failure))")
            return
        }
        // Another console's SIDm: ignored, then the right reply is taken.
        var other = Manual(suite: 3)
        _ = other.feedAuthCaps()
        var foreign = ConsoleReplay.withTag(capture.openSessionResponse, 1)
        foreign[20] ^= 0xFF
        #expect(other.feed(foreign).isEmpty && other.machine.ignoredDatagrams == 1)
        #expect(other.feed(ConsoleReplay.withTag(capture.openSessionResponse, 1)).sentDatagrams.count == 1)
        // BMC session ID 0.
        var zero = Manual(suite: 3)
        _ = zero.feedAuthCaps()
        var zeroID = ConsoleReplay.withTag(capture.openSessionResponse, 1)
        zeroID.replaceSubrange(24..<28, with: [0, 0, 0, 0])
        guard case .protocolViolation = zero.feed(zeroID).failure else {
            Issue.record("BMC session ID 0 accepted")
            return
        }
    }

    @Test func toleratesSixtyByteRAKP2ErrorReplies() throws {
        let capture = try #require(SetupCapture.all.first { $0.suite == .suite3 })
        var console = Manual(suite: 3)
        _ = console.feedAuthCaps()
        _ = console.feed(ConsoleReplay.withTag(capture.openSessionResponse, 1))
        // ipmi_sim: all 60 bytes with status 0D and a junk HMAC.
        let payload = [0x01, 0x0D, 0, 0] + le32(0xA0A2_A3A4) + [UInt8](repeating: 0x3C, count: 52)
        #expect(console.feed(RMCPPlusPacket.encodePlain(payloadType: .rakp2, payload: payload)).failure == .unknownUser)

        var role = Manual(suite: 3)
        _ = role.feedAuthCaps()
        _ = role.feed(ConsoleReplay.withTag(capture.openSessionResponse, 1))
        #expect(role.feed(RMCPPlusPacket.encodePlain(payloadType: .rakp2, payload: [0x01, 0x0A, 0, 0] + le32(0xA0A2_A3A4))).failure
                == .insufficientPrivilege(requested: .administrator))
    }

    @Test func rakp4StatusAndBadICV() throws {
        for (rakp4, expected) in [([UInt8](hx("01 0f 0000 a4a3a2a0")), ConsoleError.wrongPassword),
                                  (hx("01 02 0000 a4a3a2a0"), .handshakeRejected(.invalidSessionID))] {
            let capture = try #require(SetupCapture.all.first { $0.suite == .suite3 })
            var console = Manual(suite: 3)
            console.entropy.queueBytes(capture.consoleRandom)
            _ = console.feedAuthCaps()
            _ = console.feed(ConsoleReplay.withTag(capture.openSessionResponse, 1))
            let rakp3 = console.feed(ConsoleReplay.withTag(capture.rakp2, 1))
            #expect(rakp3.sentDatagrams.first == ConsoleReplay.withTag(capture.rakp3, 1))
            #expect(console.feed(RMCPPlusPacket.encodePlain(payloadType: .rakp4, payload: rakp4)).failure == expected)
        }
        // A wrong ICV with status 00.
        let capture = try #require(SetupCapture.all.first { $0.suite == .suite3 })
        var console = Manual(suite: 3)
        console.entropy.queueBytes(capture.consoleRandom)
        _ = console.feedAuthCaps()
        _ = console.feed(ConsoleReplay.withTag(capture.openSessionResponse, 1))
        _ = console.feed(ConsoleReplay.withTag(capture.rakp2, 1))
        var badICV = ConsoleReplay.withTag(capture.rakp4, 1)
        badICV[badICV.count - 1] ^= 0x01
        #expect(console.feed(badICV).failure == .wrongBMCKey)
    }

    @Test func rejectsABMCWithoutRMCPPlus() throws {
        var console = Manual(suite: nil)
        // Byte 2 without bit 7 (IPMI 1.5 only).
        let reply = LANResponse(answering: LANRequest(GetChannelAuthenticationCapabilities.Request(maximumPrivilege: .administrator).ipmiRequest,
                                                      sequence: 0),
                                with: IPMIResponse(data: hx("01 17 04 01 00 00 00 00")))
        #expect(console.feed(IPMI15Packet(message: reply.encoded()).encoded()).failure == .rmcpPlusNotSupported)
        var failing = Manual(suite: nil)
        let error = LANResponse(answering: LANRequest(GetChannelAuthenticationCapabilities.Request(maximumPrivilege: .administrator).ipmiRequest,
                                                      sequence: 0), with: .error(.invalidDataField))
        #expect(failing.feed(IPMI15Packet(message: error.encoded()).encoded()).failure
                == .completionCode(.invalidDataField, "Get Channel Authentication Capabilities"))
    }

    // MARK: Cipher suite negotiation (ipmitool 1.8.19 without -C)

    func cipherSuitesReply(to datagram: [UInt8]?, data: [UInt8], cc: CompletionCode = .ok) throws -> [UInt8] {
        let request = try LANRequest.decode(try plainPayload(datagram, .ipmiMessage))
        #expect(request.netFn == NetFn.application && request.command == 0x54)
        let response = LANResponse(answering: request, with: IPMIResponse(completionCode: cc, data: data))
        return RMCPPlusPacket.encodePlain(payloadType: .ipmiMessage, payload: response.encoded())
    }

    @Test func negotiatesSuite17FromTwoPages() throws {
        var console = Manual(suite: nil)
        #expect(console.actions.sentDatagrams == [hx("0600ff07 00 00000000 00000000 09 2018c88100388e04b5")])
        let query = console.feedAuthCaps().sentDatagrams.first
        #expect(query == hx("0600ff07 06 00 00000000 00000000 0a00 2018c88104540e008099"))
        let page0 = hx("01 c0 01 01 40 80 c0 02 01 41 80 c0 03 01 41 81 c0")
        let next = console.feed(try cipherSuitesReply(to: query, data: page0)).sentDatagrams.first
        let second = try LANRequest.decode(try plainPayload(next, .ipmiMessage))
        #expect(second.data == hx("0e 00 81") && second.sequence == 2)
        let page1 = hx("01 0f 03 40 80 c0 10 03 44 80 c0 11 03 44 81")
        let open = try OpenSessionRequest.decode(try plainPayload(console.feed(try cipherSuitesReply(to: next, data: page1)).sentDatagrams.first,
                                                                  .openSessionRequest)[...])
        #expect(open.authentication == 3 && open.integrity == 4 && open.confidentiality == 1)
        #expect(open.requestedPrivilege == .none)
    }

    @Test func negotiatesSuite3WhenOnlyThatIsListedOrTheQueryFails() throws {
        var pyghmi = Manual(suite: nil)
        let query = pyghmi.feedAuthCaps().sentDatagrams.first
        let open = try OpenSessionRequest.decode(try plainPayload(pyghmi.feed(try cipherSuitesReply(to: query, data: hx("01 c0 03 01 41 81")))
            .sentDatagrams.first, .openSessionRequest)[...])
        #expect(open.authentication == 1 && open.integrity == 1 && open.confidentiality == 1)

        var refusing = Manual(suite: nil)
        let query2 = refusing.feedAuthCaps().sentDatagrams.first
        let open2 = try OpenSessionRequest.decode(try plainPayload(refusing.feed(try cipherSuitesReply(to: query2, data: [], cc: .invalidCommand))
            .sentDatagrams.first, .openSessionRequest)[...])
        #expect(open2.authentication == 1)

        // ipmi_sim ignores the query: the same bytes are retried after 1, 2, 3 s, then suite 3.
        var silent = Manual(suite: nil)
        var actions = silent.feedAuthCaps()
        let first = try #require(actions.sentDatagrams.first)
        var delays: [Duration] = []
        for _ in 0..<4 {
            let (token, delay) = try #require(actions.timers.first)
            delays.append(delay)
            actions = silent.machine.timerFired(token, entropy: &silent.entropy)
            if delays.count < 4 { #expect(actions.sentDatagrams == [first]) }
        }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(3), .seconds(4)])
        let open3 = try OpenSessionRequest.decode(try plainPayload(actions.sentDatagrams.first, .openSessionRequest)[...])
        #expect(open3.authentication == 1 && open3.integrity == 1 && open3.confidentiality == 1)
    }

    @Test func handshakeTimeoutsRestartTheHandshakeThenFail() throws {
        var console = Manual(suite: 3)
        let firstTimer = try #require(console.actions.timers.first?.0)
        var actions = console.feedAuthCaps()
        var tags: [UInt8] = []
        var sessionIDs: Set<UInt32> = []
        for _ in 0..<4 {
            if let datagram = actions.sentDatagrams.first {
                let open = try OpenSessionRequest.decode(try plainPayload(datagram, .openSessionRequest)[...])
                tags.append(open.tag)
                sessionIDs.insert(open.consoleSessionID)
            }
            let (token, _) = try #require(actions.timers.first)
            actions = console.machine.timerFired(token, entropy: &console.entropy)
        }
        #expect(tags == [1, 2, 3, 4])
        #expect(sessionIDs.count == 4)
        #expect(actions.failure == .timeout("the RMCP+ session handshake"))
        // A stale timer (the first one) does nothing.
        #expect(console.machine.timerFired(firstTimer, entropy: &console.entropy).isEmpty)
    }

    // MARK: In session

    @Test func retransmitsWithTheSameRqSeqAndANewSessionSequence() throws {
        var link = InMemoryLink(bmc: makeBMCConfiguration(), console: Self.console())
        link.start()
        try #require(link.established != nil)
        let (token, actions) = link.console.enqueue(ChassisControl.powerUp.request, entropy: &link.consoleEntropy)
        let first = try #require(actions.sentDatagrams.first)
        let (timer, delay) = try #require(actions.timers.first)
        #expect(delay == .seconds(1))
        // The BMC runs the command, but its answer is lost.
        let inbound = try #require(link.bmc.receive(first, from: link.peer, now: .seconds(1), entropy: &link.bmcEntropy).dispatched)
        _ = link.bmc.respond(to: inbound, with: IPMIResponse(), entropy: &link.bmcEntropy)

        let retry = link.console.timerFired(timer, entropy: &link.consoleEntropy)
        let second = try #require(retry.sentDatagrams.first)
        #expect(retry.timers.first?.1 == .seconds(2))
        guard case .rmcpPlus(let a) = try Datagram.decode(first), case .rmcpPlus(let b) = try Datagram.decode(second) else {
            throw TestFailure("not RMCP+")
        }
        #expect(b.sessionSequence == a.sessionSequence + 1)
        #expect(a.payload.prefix(16) != b.payload.prefix(16), "a new IV")
        // Same rqSeq: the BMC recognises the retransmit and answers without running it again.
        let output = link.bmc.receive(second, from: link.peer, now: .seconds(2), entropy: &link.bmcEntropy)
        let reply = try #require(output.replyBytes)
        let done = link.console.receive(reply, entropy: &link.consoleEntropy)
        #expect(done.completion(token) == .success(IPMIResponse()))
    }

    @Test func requestTimeoutFailsTheSession() throws {
        var link = InMemoryLink(bmc: makeBMCConfiguration(), console: Self.console())
        link.start()
        var (token, actions) = link.console.enqueue(GetDeviceID.request, entropy: &link.consoleEntropy)
        for _ in 0..<4 {
            let (timer, _) = try #require(actions.timers.first)
            actions = link.console.timerFired(timer, entropy: &link.consoleEntropy)
        }
        #expect(actions.completion(token) == .failure(.timeout("\(token)")))
        #expect(actions.failure == .timeout("\(token)"))
        (token, actions) = link.console.enqueue(GetDeviceID.request, entropy: &link.consoleEntropy)
        #expect(actions.completion(token) == .failure(.sessionClosed))
    }

    @Test func ignoresForgedReplayedAndForeignReplies() throws {
        var link = InMemoryLink(bmc: makeBMCConfiguration(), console: Self.console())
        link.start()
        let (token, actions) = link.console.enqueue(GetChassisStatus.request, entropy: &link.consoleEntropy)
        let request = try #require(actions.sentDatagrams.first)
        let inbound = try #require(link.bmc.receive(request, from: link.peer, now: .seconds(1), entropy: &link.bmcEntropy).dispatched)
        let reply = try #require(link.bmc.respond(to: inbound, with: IPMIResponse(data: [1, 0, 0]), entropy: &link.bmcEntropy))
        let ignoredBefore = link.console.ignoredDatagrams
        for position in [10, 20, reply.count - 1] {
            var forged = reply
            forged[position] ^= 0x80
            #expect(link.console.receive(forged, entropy: &link.consoleEntropy).isEmpty)
        }
        #expect(link.console.ignoredDatagrams == ignoredBefore + 3)
        #expect(link.console.receive(reply, entropy: &link.consoleEntropy).completion(token) == .success(IPMIResponse(data: [1, 0, 0])))
        // The same packet again: a replay, nothing happens.
        #expect(link.console.receive(reply, entropy: &link.consoleEntropy).isEmpty)
        #expect(link.console.ignoredDatagrams == ignoredBefore + 4)
        // ASF and 1.5 datagrams in session are dropped.
        #expect(link.console.receive(ASFMessage.pong(tag: 0).encoded(), entropy: &link.consoleEntropy).isEmpty)
        #expect(link.console.receive(hx("0600ff0700000000000000000010811c6320003800019704030000000009"), entropy: &link.consoleEntropy).isEmpty)
        #expect(!link.console.isFinished)
    }

    @Test func keepAliveSendsGetDeviceID() throws {
        var link = InMemoryLink(bmc: makeBMCConfiguration(), console: Self.console { $0.keepAliveInterval = .seconds(20) })
        link.application = { _ in IPMIResponse(data: GetDeviceID.Response().data) }
        link.start()
        #expect(link.timers.last?.delay == .seconds(20))
        link.fireLatestTimer()
        #expect(link.dispatched == [GetDeviceID.request])
        #expect(link.timers.last?.delay == .seconds(20), "re-armed after the answer")
        #expect(link.results.isEmpty && link.failure == nil)
    }
}
