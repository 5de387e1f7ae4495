import IPMI
import Testing

/// One test (or a few) per "BMC side" rule of ipmi.md section 14, driving `BMCStateMachine` with hand-built packets.
@Suite("BMC interoperability rules")
struct BMCQuirkTests {
    static let peer = "198.51.100.7:40000"

    // MARK: 1. IPMI 1.5-framed Get Channel Authentication Capabilities

    func authCaps(_ bmc: inout TestBMC, data: [UInt8], rqSeq: UInt8 = 0,
                  sourceLocation: SourceLocation = #_sourceLocation) throws -> LANResponse {
        var entropy = SeededGenerator(seed: 1)
        let request = LANRequest(IPMIRequest(netFn: NetFn.application, command: 0x38, data: data), sequence: rqSeq)
        let output = bmc.receive(IPMI15Packet(message: request.encoded()).encoded(), from: Self.peer, now: .zero, entropy: &entropy)
        let bytes = try #require(output.replyBytes, sourceLocation: sourceLocation)
        guard case .ipmi15(let packet) = try Datagram.decode(bytes) else { throw TestFailure("reply not in IPMI 1.5 framing") }
        #expect(packet.sessionID == 0 && packet.sessionSequence == 0, sourceLocation: sourceLocation)
        let response = try LANResponse.decode(packet.message)
        #expect(response.sequence == rqSeq && response.command == 0x38 && response.netFn == 0x07, sourceLocation: sourceLocation)
        return response
    }

    @Test func answersIPMI15AuthenticationCapabilities() throws {
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        for (data, rqSeq) in [([UInt8(0x8E), 0x04], UInt8(0)), ([0x8E, 0x03], 7), ([0x0E, 0x04], 1), ([0x81, 0x02], 2)] {
            let response = try authCaps(&bmc, data: data, rqSeq: rqSeq)
            #expect(response.response.completionCode == .ok)
            let capabilities = try GetChannelAuthenticationCapabilities.Response(data: response.response.data)
            #expect(capabilities.authTypeSupport & 0x80 != 0, "byte 2 bit 7: IPMI v2.0 extended capabilities")
            #expect(capabilities.extendedCapabilities & 0x02 != 0, "byte 4 bit 1: IPMI 2.0 connections")
            #expect(capabilities.supportsRMCPPlus)
            #expect(capabilities.authStatus & 0x04 != 0, "non-null user names (FreeIPMI checks this)")
            #expect(capabilities.authStatus & 0x20 == 0, "no Kg")
            #expect(capabilities.channel == 1)
        }
        // Another channel, a malformed request.
        #expect(try authCaps(&bmc, data: [0x85, 0x04]).response.completionCode == .invalidDataField)
        #expect(try authCaps(&bmc, data: [0x8E]).response.completionCode == .requestDataLengthInvalid)

        // Kg set and a null user enabled are advertised.
        var withKg = TestBMC(configuration: makeBMCConfiguration(
            users: [BMCUser(name: "admin", password: "password"), BMCUser(name: "", password: "anon")],
            kg: Array("kgkgkgkgkgkgkgkgkgkg".utf8)))
        let status = try GetChannelAuthenticationCapabilities.Response(data: try authCaps(&withKg, data: [0x8E, 0x04]).response.data)
        #expect(status.kgIsSet && status.authStatus & 0x06 == 0x06)

        // 1.5 framing with a session is not spoken.
        var entropy = SeededGenerator(seed: 1)
        let request = LANRequest(GetChannelAuthenticationCapabilities.Request(maximumPrivilege: .administrator).ipmiRequest, sequence: 0)
        let withSession = IPMI15Packet(sessionSequence: 1, sessionID: 0x1234, message: request.encoded()).encoded()
        #expect(bmc.receive(withSession, from: Self.peer, now: .zero, entropy: &entropy).ignoredReason == .notSupported)
    }

    // MARK: 2. RMCP+-framed pre-session Get Channel Cipher Suites

    func cipherSuitesPage(_ bmc: inout TestBMC, index: UInt8) throws -> [UInt8] {
        var entropy = SeededGenerator(seed: 1)
        let request = LANRequest(GetChannelCipherSuites.Request(listIndex: index).ipmiRequest, sequence: 1 + index)
        let output = bmc.receive(RMCPPlusPacket.encodePlain(payloadType: .ipmiMessage, payload: request.encoded()),
                                 from: Self.peer, now: .zero, entropy: &entropy)
        let response = try LANResponse.decode(try plainPayload(output.replyBytes, .ipmiMessage))
        #expect(response.sequence == 1 + index && response.command == 0x54 && response.response.completionCode == .ok)
        #expect(response.response.data.first == 0x01)
        return Array(response.response.data.dropFirst())
    }

    @Test func answersRMCPPlusPreSessionCipherSuites() throws {
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        // ipmitool's exact request (ipmi.md 6.2), answered in the same framing.
        var entropy = SeededGenerator(seed: 1)
        let wire = hx("0600ff07 06 00 00000000 00000000 0a00 2018c88104540e008099")
        let reply = bmc.receive(wire, from: Self.peer, now: .zero, entropy: &entropy).replyBytes
        let expected = LANResponse(answering: try LANRequest.decode(hx("2018c88104540e008099")),
                                   with: IPMIResponse(data: hx("01 c0 11 03 44 81 c0 03 01 41 81")))
        #expect(reply == RMCPPlusPacket.encodePlain(payloadType: .ipmiMessage, payload: expected.encoded()))

        let records = try cipherSuitesPage(&bmc, index: 0)
        #expect(GetChannelCipherSuites.suiteIDs(in: records) == [17, 3])
        #expect(try cipherSuitesPage(&bmc, index: 1).isEmpty)

        var only3 = TestBMC(configuration: makeBMCConfiguration(suites: [.suite3]))
        #expect(GetChannelCipherSuites.suiteIDs(in: try cipherSuitesPage(&only3, index: 0)) == [3])

        // Other pre-session commands: C1.
        let deviceID = LANRequest(GetDeviceID.request, sequence: 3)
        let output = bmc.receive(RMCPPlusPacket.encodePlain(payloadType: .ipmiMessage, payload: deviceID.encoded()),
                                 from: Self.peer, now: .zero, entropy: &entropy)
        #expect(try LANResponse.decode(try plainPayload(output.replyBytes, .ipmiMessage)).response.completionCode == .invalidCommand)
        #expect(bmc.sessions.isEmpty)
    }

    @Test func defaultNegotiationPicksSuite17WhenListed() throws {
        var link = InMemoryLink(bmc: makeBMCConfiguration(), console: ConsoleConfiguration(username: "admin", password: "password"))
        link.start()
        #expect(link.established?.suite == .suite17)
        // Auth caps, cipher suites page 0 (10 record bytes: the last page), Open Session, RAKP1, RAKP3, Set Session Priv.
        try #require(link.consoleToBMC.count == 6)
        #expect(link.consoleToBMC[1] == hx("0600ff07 06 00 00000000 00000000 0a00 2018c88104540e008099"))

        var only3 = InMemoryLink(bmc: makeBMCConfiguration(suites: [.suite3]), console: ConsoleConfiguration(username: "admin", password: "password"))
        only3.start()
        #expect(only3.established?.suite == .suite3)
    }

    // MARK: 3. Open Session

    @Test func openSessionNeverSubstitutesAlgorithms() throws {
        var entropy = SeededGenerator(seed: 3)
        var only3 = TestBMC(configuration: makeBMCConfiguration(suites: [.suite3]))
        var console = ManualConsole(suite: .suite17)
        let refused = try console.openSession(&only3, entropy: &entropy)
        #expect(refused.status == .invalidAuthenticationAlgorithm)
        #expect(refused.consoleSessionID == 0xA0A2_A3A4 && refused.authentication == 0 && refused.bmcSessionID == 0)
        #expect(refused.encoded().count == 8)
        #expect(only3.sessions.isEmpty)

        var only17 = TestBMC(configuration: makeBMCConfiguration(suites: [.suite17]))
        var console3 = ManualConsole(suite: .suite3)
        #expect(try console3.openSession(&only17, entropy: &entropy).status == .invalidAuthenticationAlgorithm)

        // RAKP-HMAC-SHA1 with HMAC-SHA256-128: every algorithm is known, the combination is not.
        var both = TestBMC(configuration: makeBMCConfiguration())
        var mixed = ManualConsole(suite: CipherSuite(id: 99, authentication: .hmacSHA1, integrity: .hmacSHA256_128, confidentiality: .aesCBC128))
        #expect(try mixed.openSession(&both, entropy: &entropy).status == .noCipherSuiteMatch)
        var noConfidentiality = ManualConsole(suite: CipherSuite(id: 2, authentication: .hmacSHA1, integrity: .hmacSHA1_96, confidentiality: .none))
        #expect(try noConfidentiality.openSession(&both, entropy: &entropy).status == .invalidConfidentialityAlgorithm)
        var md5 = ManualConsole(suite: CipherSuite(id: 7, authentication: .hmacMD5, integrity: .hmacMD5_128, confidentiality: .none))
        #expect(try md5.openSession(&both, entropy: &entropy).status == .invalidAuthenticationAlgorithm)
        #expect(both.sessions.isEmpty)

        // The accepted suite is echoed exactly.
        var good = ManualConsole(suite: .suite17)
        let accepted = try good.openSession(&both, entropy: &entropy)
        #expect(accepted.status == .noErrors && accepted.authentication == 3 && accepted.integrity == 4 && accepted.confidentiality == 1)
        #expect(accepted.bmcSessionID != 0 && accepted.consoleSessionID == 0xA0A2_A3A4)
    }

    @Test func openSessionReturnsTheRealMaximumPrivilege() throws {
        var entropy = SeededGenerator(seed: 4)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var console = ManualConsole()
        let highest = try console.openSession(&bmc, privilege: .none, entropy: &entropy)
        #expect(highest.status == .noErrors && highest.maximumPrivilege == PrivilegeLevel.administrator.rawValue)
        #expect(try console.openSession(&bmc, privilege: .operator, entropy: &entropy).maximumPrivilege == 3)

        var limited = makeBMCConfiguration()
        limited.channelPrivilegeLimit = .operator
        var operatorChannel = TestBMC(configuration: limited)
        #expect(try console.openSession(&operatorChannel, privilege: .none, entropy: &entropy).maximumPrivilege == 3)
        #expect(try console.openSession(&operatorChannel, privilege: .administrator, entropy: &entropy).status == .unauthorizedRoleOrPrivilege)
    }

    @Test func suiteZeroIsRefusedUnlessConfigured() throws {
        var entropy = SeededGenerator(seed: 5)
        var console = ManualConsole(suite: .suite0)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        let refused = try console.openSession(&bmc, entropy: &entropy)
        #expect(refused.status != .noErrors && refused.status == .invalidAuthenticationAlgorithm)
        #expect(bmc.sessions.isEmpty)
        var insecure = TestBMC(configuration: makeBMCConfiguration(suites: [.suite3, .suite0]))
        let accepted = try console.openSession(&insecure, entropy: &entropy)
        #expect(accepted.status == .noErrors && accepted.authentication == 0 && accepted.integrity == 0 && accepted.confidentiality == 0)
    }

    // MARK: 4. RAKP Message 1

    @Test func acceptsBothRAKP1Forms() throws {
        for padded in [false, true] {
            var entropy = SeededGenerator(seed: 6)
            var bmc = TestBMC(configuration: makeBMCConfiguration())
            var console = ManualConsole()
            #expect(try console.openSession(&bmc, entropy: &entropy).status == .noErrors)
            #expect(console.rakp1Datagram(role: 0x14, username: Array("admin".utf8), padTo16: padded).count == 16 + (padded ? 44 : 33))
            // `authenticate` checks RAKP2 and RAKP4 against values computed with ULEN 5 and the unpadded name.
            #expect(try console.authenticate(&bmc, padTo16: padded, entropy: &entropy) == .noErrors)
            #expect(try console.call(GetChassisStatus.request, on: &bmc, answer: IPMIResponse(data: [1, 0, 0]), entropy: &entropy)
                        .response.data == [1, 0, 0])
        }
    }

    @Test func rakp1NameLongerThan16IsRefusedWith0C() throws {
        // With a null user configured, a bad name length must not fall back to it.
        let users = [BMCUser(name: "admin", password: "password"), BMCUser(name: "", password: "password")]
        for length in [17, 20, 255] {
            var entropy = SeededGenerator(seed: 7)
            var bmc = TestBMC(configuration: makeBMCConfiguration(users: users))
            var console = ManualConsole()
            #expect(try console.openSession(&bmc, entropy: &entropy).status == .noErrors)
            var payload = RAKP1(tag: 0, bmcSessionID: console.bmcSessionID, consoleRandom: console.consoleRandom, role: 0x14,
                                username: []).encoded()
            payload[27] = UInt8(length)
            payload += [UInt8](repeating: 0x61, count: min(length, 20))
            let output = bmc.receive(RMCPPlusPacket.encodePlain(payloadType: .rakp1, payload: payload), from: console.peer,
                                     now: .zero, entropy: &entropy)
            let rakp2 = try RAKP2.decode(try plainPayload(output.replyBytes, .rakp2)[...])
            #expect(rakp2.status == .invalidNameLength, "ULEN \(length)")
            #expect(rakp2.authCode.isEmpty)
            #expect(bmc.sessions.isEmpty, "a refused handshake is dropped")
        }
        // 16 is still fine.
        var entropy = SeededGenerator(seed: 8)
        var bmc = TestBMC(configuration: makeBMCConfiguration(users: [BMCUser(name: "sixteen-chars-ok", password: "pw")]))
        var console = ManualConsole()
        _ = try console.openSession(&bmc, entropy: &entropy)
        #expect(try console.authenticate(&bmc, username: "sixteen-chars-ok", password: "pw", entropy: &entropy) == .noErrors)
    }

    @Test func unknownNullAndDisabledUsersGet0D() throws {
        let users = [BMCUser(name: "admin", password: "password"), BMCUser(name: "gone", password: "password", enabled: false)]
        for name in ["nobody", "", "gone", "Admin", "admin\u{0}"] {
            var entropy = SeededGenerator(seed: 9)
            var bmc = TestBMC(configuration: makeBMCConfiguration(users: users))
            var console = ManualConsole()
            _ = try console.openSession(&bmc, entropy: &entropy)
            #expect(try console.authenticate(&bmc, username: name, entropy: &entropy) == .unauthorizedName, "user \(name.debugDescription)")
            #expect(bmc.sessions.isEmpty)
        }
        // A configured null user may log in with ULEN 0.
        var entropy = SeededGenerator(seed: 10)
        var bmc = TestBMC(configuration: makeBMCConfiguration(users: [BMCUser(name: "", password: "anonymous")]))
        var console = ManualConsole()
        _ = try console.openSession(&bmc, entropy: &entropy)
        #expect(try console.authenticate(&bmc, username: "", password: "anonymous", entropy: &entropy) == .noErrors)
    }

    @Test func nameOnlyLookupBitIsHonoured() throws {
        let users = [BMCUser(name: "op", password: "oppass", maximumPrivilege: .operator)]
        // (role byte, expected RAKP2 status)
        let cases: [(UInt8, RMCPPlusStatus)] = [
            (0x14, .unauthorizedRoleOrPrivilege),  // name-only: user found, role too high → 0A
            (0x04, .unauthorizedName),             // username+privilege: no such (name, ADMIN) entry → 0D
            (0x13, .noErrors), (0x03, .noErrors), (0x12, .noErrors),
            (0x10, .invalidRole), (0x16, .invalidRole),
        ]
        for (role, status) in cases {
            var entropy = SeededGenerator(seed: 11)
            var bmc = TestBMC(configuration: makeBMCConfiguration(users: users))
            var console = ManualConsole()
            _ = try console.openSession(&bmc, entropy: &entropy)
            #expect(try console.authenticate(&bmc, role: role, username: "op", password: "oppass", entropy: &entropy) == status,
                    "role \(role)")
            if status == .noErrors {
                let session = try #require(bmc.sessions[console.bmcSessionID])
                #expect(session.maximumPrivilege == PrivilegeLevel(rawValue: role & 0x0F))
                #expect(session.privilege == .user)
            }
        }
    }

    @Test func rakp1ForAnUnknownSessionOrFromAnotherPeer() throws {
        var entropy = SeededGenerator(seed: 12)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var console = ManualConsole()
        _ = try console.openSession(&bmc, entropy: &entropy)
        // Another address using this session ID is not answered and does not disturb the handshake.
        #expect(bmc.receive(console.rakp1Datagram(role: 0x14, username: Array("admin".utf8)), from: "203.0.113.9:1", now: .zero,
                            entropy: &entropy).ignoredReason == .wrongPeer)
        var stranger = console
        stranger.bmcSessionID &+= 1
        let output = bmc.receive(stranger.rakp1Datagram(role: 0x14, username: Array("admin".utf8)), from: console.peer, now: .zero,
                                 entropy: &entropy)
        #expect(try RAKP2.decode(try plainPayload(output.replyBytes, .rakp2)[...]).status == .invalidSessionID)
        #expect(try console.authenticate(&bmc, entropy: &entropy) == .noErrors)
    }

    // MARK: 5. HMAC keys

    @Test func kgKeysOnlyTheSessionIntegrityKey() throws {
        let kg = Array("0123456789abcdefghij".utf8)
        var entropy = SeededGenerator(seed: 13)
        var bmc = TestBMC(configuration: makeBMCConfiguration(kg: kg))
        var console = ManualConsole(suite: .suite17)
        _ = try console.openSession(&bmc, entropy: &entropy)
        // RAKP2 verifies under the password (checked inside); RAKP4 and the session keys need Kg.
        #expect(try console.authenticate(&bmc, kg: kg, entropy: &entropy) == .noErrors)
        #expect(try console.call(GetDeviceID.request, on: &bmc, answer: IPMIResponse(data: GetDeviceID.Response().data),
                                 entropy: &entropy).response.completionCode == .ok)
    }

    @Test func badRAKP3IsRefusedWith0F() throws {
        var entropy = SeededGenerator(seed: 14)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var console = ManualConsole()
        _ = try console.openSession(&bmc, entropy: &entropy)
        _ = bmc.receive(console.rakp1Datagram(role: 0x14, username: Array("admin".utf8)), from: console.peer, now: .zero, entropy: &entropy)
        let rakp3 = RAKP3(tag: 0, status: .noErrors, bmcSessionID: console.bmcSessionID, authCode: [UInt8](repeating: 0, count: 20))
        let output = bmc.receive(RMCPPlusPacket.encodePlain(payloadType: .rakp3, payload: rakp3.encoded()), from: console.peer,
                                 now: .zero, entropy: &entropy)
        let rakp4 = try RAKP4.decode(try plainPayload(output.replyBytes, .rakp4)[...])
        #expect(rakp4.status == .invalidIntegrityCheckValue)
        #expect(bmc.sessions.isEmpty)
    }

    // MARK: 6. Expiry and the session limit

    @Test func halfOpenSessionsExpireAfterTheSetupTimeout() throws {
        var entropy = SeededGenerator(seed: 15)
        var bmc = TestBMC(configuration: makeBMCConfiguration(setupTimeout: .seconds(5)))
        var console = ManualConsole()
        _ = try console.openSession(&bmc, now: .zero, entropy: &entropy)
        #expect(bmc.expireSessions(now: .milliseconds(4_900)).isEmpty)
        #expect(bmc.expireSessions(now: .seconds(5)) == [console.bmcSessionID])
        #expect(bmc.sessions.isEmpty)

        // Wrong password: RAKP1 answered at t=1 s, no RAKP3 ever comes.
        _ = try console.openSession(&bmc, now: .zero, entropy: &entropy)
        let output = bmc.receive(console.rakp1Datagram(role: 0x14, username: Array("admin".utf8)), from: console.peer,
                                 now: .seconds(1), entropy: &entropy)
        #expect(try RAKP2.decode(try plainPayload(output.replyBytes, .rakp2)[...]).status == .noErrors)
        #expect(bmc.activeSessionCount == 0 && bmc.sessions.count == 1)
        #expect(bmc.expireSessions(now: .milliseconds(5_900)).isEmpty)
        #expect(bmc.expireSessions(now: .seconds(6)) == [console.bmcSessionID])
        // A late RAKP3 finds nothing.
        let rakp3 = RAKP3(tag: 0, status: .noErrors, bmcSessionID: console.bmcSessionID, authCode: [UInt8](repeating: 1, count: 20))
        #expect(bmc.receive(RMCPPlusPacket.encodePlain(payloadType: .rakp3, payload: rakp3.encoded()), from: console.peer,
                            now: .seconds(7), entropy: &entropy).ignoredReason == .unknownSession)
    }

    @Test func idleActiveSessionsExpire() throws {
        var entropy = SeededGenerator(seed: 16)
        var bmc = TestBMC(configuration: makeBMCConfiguration(idleTimeout: .seconds(60)))
        var console = ManualConsole()
        try console.handshake(&bmc, now: .zero, entropy: &entropy)
        // Activity at 30 s moves the deadline to 90 s; the set-up timeout no longer applies.
        #expect(try console.call(GetChassisStatus.request, on: &bmc, now: .seconds(30), answer: IPMIResponse(data: [0, 0, 0]),
                                 entropy: &entropy).response.completionCode == .ok)
        #expect(bmc.expireSessions(now: .seconds(89)).isEmpty)
        #expect(bmc.expireSessions(now: .seconds(90)) == [console.bmcSessionID])
        #expect(console.send(GetChassisStatus.request, to: &bmc, now: .seconds(91), entropy: &entropy).ignoredReason == .unknownSession)
    }

    @Test func sessionTableIsBounded() throws {
        var entropy = SeededGenerator(seed: 17)
        var bmc = TestBMC(configuration: makeBMCConfiguration(maximumSessions: 2, setupTimeout: .seconds(5)))
        var first = ManualConsole(peer: "a:1")
        try first.handshake(&bmc, now: .zero, entropy: &entropy)
        var second = ManualConsole(peer: "b:1")
        #expect(try second.openSession(&bmc, now: .seconds(1), entropy: &entropy).status == .noErrors)
        var third = ManualConsole(peer: "c:1")
        let refused = try third.openSession(&bmc, now: .seconds(2), entropy: &entropy)
        #expect(refused.status == .insufficientResources)
        #expect(bmc.sessions.count == 2)
        // Once the half-open one has expired there is room again; the active one stays.
        let accepted = try third.openSession(&bmc, now: .seconds(6), entropy: &entropy)
        #expect(accepted.status == .noErrors)
        #expect(bmc.sessions.count == 2 && bmc.sessions[first.bmcSessionID] != nil && bmc.sessions[second.bmcSessionID] == nil)
    }

    // MARK: 7. Sessions keyed by the BMC's session ID

    @Test func twoConsolesWithTheSameConsoleSessionID() throws {
        var entropy = SeededGenerator(seed: 18)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var a = ManualConsole(peer: "192.0.2.1:40001", suite: .suite17, consoleSessionID: 0xA0A2_A3A4)
        var b = ManualConsole(peer: "192.0.2.2:40001", suite: .suite3, consoleSessionID: 0xA0A2_A3A4)
        b.entropy = SeededGenerator(seed: 99)
        try a.handshake(&bmc, entropy: &entropy)
        try b.handshake(&bmc, entropy: &entropy)
        #expect(a.bmcSessionID != b.bmcSessionID)
        #expect(bmc.activeSessionCount == 2)

        let fromA = try #require(a.send(GetChassisStatus.request, to: &bmc, entropy: &entropy).dispatched)
        let fromB = try #require(b.send(GetChassisStatus.request, to: &bmc, entropy: &entropy).dispatched)
        #expect(fromA.sessionID == a.bmcSessionID && fromA.peer == a.peer)
        #expect(fromB.sessionID == b.bmcSessionID && fromB.peer == b.peer)
        let replyB = bmc.respond(to: fromB, with: IPMIResponse(data: [0, 0, 0]), entropy: &entropy)
        let replyA = bmc.respond(to: fromA, with: IPMIResponse(data: [1, 0, 0]), entropy: &entropy)
        #expect(try a.open(replyA).response.response.data == [1, 0, 0])
        #expect(try b.open(replyB).response.response.data == [0, 0, 0])
        // Each reply is sealed with its own session's keys.
        guard case .rmcpPlus(let packetA) = try Datagram.decode(try #require(replyA)) else { throw TestFailure("not RMCP+") }
        #expect(throws: IPMIDecodingError.self) { try b.crypto!.open(packetA) }

        // B's address with A's session ID is not accepted.
        var spoof = a
        spoof.peer = b.peer
        #expect(spoof.send(GetChassisStatus.request, to: &bmc, entropy: &entropy).ignoredReason == .wrongPeer)

        // Closing A leaves B alone.
        #expect(try a.call(CloseSession.request(bmcSessionID: a.bmcSessionID), on: &bmc, entropy: &entropy).response.completionCode == .ok)
        #expect(bmc.sessions[a.bmcSessionID] == nil && bmc.sessions[b.bmcSessionID] != nil)
        #expect(try b.call(GetChassisStatus.request, on: &bmc, answer: IPMIResponse(data: [0, 0, 0]), entropy: &entropy)
                    .response.completionCode == .ok)
    }

    // MARK: 8. Inbound sequence numbers

    @Test("the first authenticated sequence number may be anything", arguments: [UInt32(1), 3, 20, 0x8000_0000])
    func firstSequenceNumber(first: UInt32) throws {
        var entropy = SeededGenerator(seed: 19)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var console = ManualConsole(firstSequence: first)
        try console.handshake(&bmc, entropy: &entropy)
        let packet = console.seal(GetChassisStatus.request)
        #expect(bmc.receive(packet, from: console.peer, now: .seconds(1), entropy: &entropy).dispatched != nil)
        // The same datagram again is a replay.
        #expect(bmc.receive(packet, from: console.peer, now: .seconds(1), entropy: &entropy).ignoredReason == .replayed)
        // Out of order within the window is fine once; duplicates are not.
        let ahead = console.seal(GetChassisStatus.request, sequence: first + 5, rqSeq: 10)
        let late = console.seal(GetChassisStatus.request, sequence: first + 3, rqSeq: 11)
        #expect(bmc.receive(ahead, from: console.peer, now: .seconds(1), entropy: &entropy).dispatched != nil)
        #expect(bmc.receive(late, from: console.peer, now: .seconds(1), entropy: &entropy).dispatched != nil)
        #expect(bmc.receive(late, from: console.peer, now: .seconds(1), entropy: &entropy).ignoredReason == .replayed)
        // Zero, far behind and far ahead are rejected.
        for sequence in [0, first &- 40, first &+ 5_000] {
            let packet = console.seal(GetChassisStatus.request, sequence: sequence, rqSeq: 12)
            #expect(bmc.receive(packet, from: console.peer, now: .seconds(1), entropy: &entropy).ignoredReason == .replayed,
                    "sequence \(sequence)")
        }
    }

    @Test func sequenceWindow() {
        var window = SequenceWindow()
        #expect(!window.accepts(0))
        #expect(window.accepts(3) && window.accepts(1000))
        window.record(3)
        #expect(!window.accepts(3) && window.accepts(2) && window.accepts(4))
        window.record(10)
        #expect(window.highest == 10)
        #expect(!window.accepts(3) && !window.accepts(10) && window.accepts(4) && window.accepts(9))
        #expect(window.accepts(10 + SequenceWindow.ahead) && !window.accepts(11 + SequenceWindow.ahead))
        window.record(200)
        #expect(!window.accepts(200 - SequenceWindow.behind) && window.accepts(201 - SequenceWindow.behind))
        // Wrap: the counter skips 0.
        var top = SequenceWindow()
        top.record(UInt32.max)
        #expect(!top.accepts(UInt32.max) && top.accepts(UInt32.max - 1) && !top.accepts(0))
    }

    // MARK: 9. Unknown commands

    @Test func unknownCommandsGetC1AtOnce() throws {
        var entropy = SeededGenerator(seed: 20)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var console = ManualConsole()
        try console.handshake(&bmc, entropy: &entropy)
        // ipmitool's probes: HPM.2 capabilities, PICMG properties, VSO capabilities; and an OEM netFn.
        let probes = [IPMIRequest(netFn: 0x2C, command: 0x3E, data: [0x00, 0x02]), IPMIRequest(netFn: 0x2C, command: 0x00, data: [0x00]),
                      IPMIRequest(netFn: 0x2C, command: 0x00, data: [0x03]), IPMIRequest(netFn: 0x30, command: 0x01),
                      IPMIRequest(netFn: 0x06, command: 0x99)]
        for (index, probe) in probes.enumerated() {
            let output = console.send(probe, to: &bmc, rqSeq: UInt8(index + 2), entropy: &entropy)
            let response = try console.open(output.replyBytes).response
            #expect(response.response == .error(.invalidCommand))
            #expect(response.sequence == UInt8(index + 2) && response.command == probe.command && response.netFn == probe.netFn | 1)
        }
    }

    // MARK: 10. Privilege

    @Test func sessionsStartAtUserAndSetSessionPrivilegeRaisesThem() throws {
        var entropy = SeededGenerator(seed: 21)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var console = ManualConsole()
        try console.handshake(&bmc, role: 0x14, entropy: &entropy)
        #expect(bmc.sessions[console.bmcSessionID]?.privilege == .user)

        // USER: status yes, control no.
        let denied = try console.open(console.send(ChassisControl.powerUp.request, to: &bmc, entropy: &entropy).replyBytes)
        #expect(denied.response.response.completionCode == .insufficientPrivilege)
        let status = try #require(console.send(GetChassisStatus.request, to: &bmc, entropy: &entropy).dispatched)
        #expect(status.privilege == .user)
        _ = bmc.respond(to: status, with: IPMIResponse(data: [0, 0, 0]), entropy: &entropy)
        let bootFlags = try console.open(console.send(SystemBootOptions.setBootFlags(BootFlags(device: .pxe)), to: &bmc,
                                                      entropy: &entropy).replyBytes)
        #expect(bootFlags.response.response.completionCode == .insufficientPrivilege)

        // Query, then raise to ADMINISTRATOR.
        #expect(try console.call(SetSessionPrivilegeLevel.request(.none), on: &bmc, entropy: &entropy).response.data == [0x02])
        let raised = try console.call(SetSessionPrivilegeLevel.request(.administrator), on: &bmc, entropy: &entropy)
        #expect(raised.response == IPMIResponse(data: [0x04]))
        let control = try #require(console.send(ChassisControl.powerUp.request, to: &bmc, entropy: &entropy).dispatched)
        #expect(control.privilege == .administrator && control.request == ChassisControl.powerUp.request)
        _ = bmc.respond(to: control, with: IPMIResponse(), entropy: &entropy)

        // Above the session's limit: 81. CALLBACK or nonsense: CC. Wrong length: C7.
        #expect(try console.call(SetSessionPrivilegeLevel.request(.oem), on: &bmc, entropy: &entropy).response.completionCode
                == SetSessionPrivilegeLevel.levelExceedsLimit)
        #expect(try console.call(SetSessionPrivilegeLevel.request(.callback), on: &bmc, entropy: &entropy).response.completionCode
                == .invalidDataField)
        #expect(try console.call(IPMIRequest(netFn: 0x06, command: 0x3B, data: [4, 0]), on: &bmc, entropy: &entropy)
                    .response.completionCode == .requestDataLengthInvalid)
        // Lowering works too.
        #expect(try console.call(SetSessionPrivilegeLevel.request(.user), on: &bmc, entropy: &entropy).response.data == [0x02])
        #expect(try console.open(console.send(ChassisControl.powerDown.request, to: &bmc, entropy: &entropy).replyBytes)
                    .response.response.completionCode == .insufficientPrivilege)
    }

    @Test func privilegeIsCappedByTheUserAndTheRequestedRole() throws {
        let users = [BMCUser(name: "op", password: "oppass", maximumPrivilege: .operator),
                     BMCUser(name: "admin", password: "password")]
        // An OPERATOR user, and an ADMINISTRATOR user who asked for OPERATOR in RAKP1.
        for (name, password, role) in [("op", "oppass", UInt8(0x13)), ("admin", "password", 0x13)] {
            var entropy = SeededGenerator(seed: 22)
            var bmc = TestBMC(configuration: makeBMCConfiguration(users: users))
            var console = ManualConsole()
            _ = try console.openSession(&bmc, entropy: &entropy)
            #expect(try console.authenticate(&bmc, role: role, username: name, password: password, entropy: &entropy) == .noErrors)
            #expect(try console.call(SetSessionPrivilegeLevel.request(.administrator), on: &bmc, entropy: &entropy).response.completionCode
                    == SetSessionPrivilegeLevel.levelExceedsLimit)
            #expect(try console.call(SetSessionPrivilegeLevel.request(.operator), on: &bmc, entropy: &entropy).response.data == [0x03])
            let control = try #require(console.send(ChassisControl.powerCycle.request, to: &bmc, entropy: &entropy).dispatched)
            #expect(control.privilege == .operator && control.username == Array(name.utf8))
        }
    }

    // MARK: 11. Close Session

    @Test func closeSessionIsAnsweredInsideTheSession() throws {
        var entropy = SeededGenerator(seed: 23)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var console = ManualConsole(suite: .suite17)
        try console.handshake(&bmc, entropy: &entropy)

        // A wrong session ID: 87, the session stays.
        let wrong = try console.call(CloseSession.request(bmcSessionID: console.bmcSessionID &+ 1), on: &bmc, entropy: &entropy)
        #expect(wrong.response.completionCode == CloseSession.invalidSessionID)
        #expect(bmc.sessions[console.bmcSessionID] != nil)

        let output = console.send(CloseSession.request(bmcSessionID: console.bmcSessionID), to: &bmc, entropy: &entropy)
        let bytes = try #require(output.replyBytes)
        // Protected like every in-session packet, decrypted with this session's keys.
        #expect(bytes[5] == 0xC0)
        let (packet, response) = try console.open(bytes)
        #expect(packet.sessionID == 0xA0A2_A3A4)
        #expect(response.command == CloseSession.command && response.response == IPMIResponse())
        #expect(bmc.sessions.isEmpty)
        #expect(console.send(GetDeviceID.request, to: &bmc, entropy: &entropy).ignoredReason == .unknownSession)
    }

    // MARK: 12. Outbound sequence numbers

    @Test func outboundSequenceStartsAtOneAndIncreases() throws {
        var entropy = SeededGenerator(seed: 24)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var console = ManualConsole()
        try console.handshake(&bmc, entropy: &entropy)
        var sequences: [UInt32] = []
        for index in 0..<6 {
            let request = index.isMultiple(of: 2) ? IPMIRequest(netFn: 0x2C, command: 0x00, data: [0]) : GetChassisStatus.request
            let bytes: [UInt8]?
            switch console.send(request, to: &bmc, entropy: &entropy) {
            case .reply(let reply): bytes = reply
            case .dispatch(let inbound): bytes = bmc.respond(to: inbound, with: IPMIResponse(data: [0, 0, 0]), entropy: &entropy)
            case .ignored(let reason): throw TestFailure("ignored: \(reason)")
            }
            sequences.append(try console.open(bytes).packet.sessionSequence)
        }
        #expect(sequences == [1, 2, 3, 4, 5, 6])
    }

    // MARK: 13. Retransmissions

    @Test func retransmitIsAnsweredAgainWithoutASecondDispatch() throws {
        var entropy = SeededGenerator(seed: 25)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var console = ManualConsole()
        try console.handshake(&bmc, entropy: &entropy)
        _ = try console.call(SetSessionPrivilegeLevel.request(.administrator), on: &bmc, entropy: &entropy)

        let first = try #require(console.send(ChassisControl.powerUp.request, to: &bmc, rqSeq: 6, entropy: &entropy).dispatched)
        let answer = try console.open(bmc.respond(to: first, with: IPMIResponse(), entropy: &entropy))
        // Same rqSeq and command, new session sequence number and IV (ipmitool after 1 s).
        let retransmit = console.send(ChassisControl.powerUp.request, to: &bmc, rqSeq: 6, entropy: &entropy)
        #expect(retransmit.dispatched == nil)
        let again = try console.open(retransmit.replyBytes)
        #expect(again.response == answer.response)
        #expect(again.packet.sessionSequence == answer.packet.sessionSequence + 1)
        // A new request (new rqSeq) runs again.
        #expect(console.send(ChassisControl.powerUp.request, to: &bmc, rqSeq: 7, entropy: &entropy).dispatched != nil)
        // Same rqSeq but another command is a new request as well.
        let status = try #require(console.send(GetChassisStatus.request, to: &bmc, rqSeq: 9, entropy: &entropy).dispatched)
        _ = bmc.respond(to: status, with: IPMIResponse(data: [1, 0, 0]), entropy: &entropy)
        #expect(console.send(GetDeviceID.request, to: &bmc, rqSeq: 9, entropy: &entropy).dispatched != nil)
    }

    @Test func sameRequestLongAfterTheRetransmitHorizonRunsAgain() throws {
        // Some clients reuse one rqSeq for every request: after the cache lifetime they must get a fresh answer,
        // never a stale power state.
        var entropy = SeededGenerator(seed: 26)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var console = ManualConsole()
        try console.handshake(&bmc, entropy: &entropy)
        let lifetime = bmc.configuration.retransmitCacheLifetime
        let first = try #require(console.send(GetChassisStatus.request, to: &bmc, now: .seconds(1), rqSeq: 3, entropy: &entropy).dispatched)
        _ = bmc.respond(to: first, with: IPMIResponse(data: [0, 0, 0]), entropy: &entropy)
        #expect(console.send(GetChassisStatus.request, to: &bmc, now: .seconds(1) + lifetime, rqSeq: 3, entropy: &entropy).dispatched == nil)
        let later = console.send(GetChassisStatus.request, to: &bmc, now: .seconds(2) + lifetime * 2, rqSeq: 3, entropy: &entropy)
        #expect(later.dispatched != nil)
    }

    // MARK: 14. Padding

    @Test("confidentiality pad is exactly 01 02 ..., integrity pad FF with next header 07", arguments: [CipherSuite.suite3, .suite17])
    func padsAreExact(suite: CipherSuite) throws {
        var entropy = SeededGenerator(seed: 26)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var console = ManualConsole(suite: suite)
        try console.handshake(&bmc, entropy: &entropy)
        let crypto = try #require(console.crypto)
        var padLengths: Set<Int> = []
        for length in 0..<24 {
            let inbound = try #require(console.send(GetDeviceID.request, to: &bmc, entropy: &entropy).dispatched)
            let data = [UInt8](repeating: 0xA5, count: length)
            let bytes = try #require(bmc.respond(to: inbound, with: IPMIResponse(data: data), entropy: &entropy))
            let (packet, response) = try console.open(bytes)
            #expect(response.response.data == data)
            let message = response.encoded()
            padLengths.insert((16 - (message.count + 1) % 16) % 16)
            // Re-sealing the plaintext with the same IV gives the same datagram: the pad is 01 02 ... p | p and the
            // trailer is FF FF 02 07 + AuthCode.
            let iv = Array(packet.payload.prefix(16))
            #expect(crypto.seal(payloadType: .ipmiMessage, sessionID: packet.sessionID, sequence: packet.sessionSequence,
                                payload: message, iv: iv) == bytes)
            #expect(Array(packet.trailer.prefix(4)) == [0xFF, 0xFF, 0x02, 0x07])
            #expect(packet.payload.count % 16 == 0)
        }
        #expect(padLengths.count == 16, "every pad length 0...15 was produced")
    }

    // MARK: 15. ASF presence ping

    @Test func presencePingIsAnswered() throws {
        var entropy = SeededGenerator(seed: 27)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        for tag in [UInt8(0), 1, 0xFE] {
            let reply = try #require(bmc.receive(ASFMessage.ping(tag: tag).encoded(), from: Self.peer, now: .zero, entropy: &entropy).replyBytes)
            #expect(reply == hx("06 00 FF 06 000011BE 40") + [tag] + hx("00 10 000011BE 00000000 81 00 000000000000"))
        }
    }

    // MARK: Odds and ends

    @Test func inSessionPacketsForUnknownSessionsAreIgnored() throws {
        var entropy = SeededGenerator(seed: 28)
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var console = ManualConsole()
        try console.handshake(&bmc, entropy: &entropy)
        var other = console
        other.bmcSessionID &+= 1
        #expect(other.send(GetDeviceID.request, to: &bmc, entropy: &entropy).ignoredReason == .unknownSession)
        // A half-open session does not take IPMI messages either.
        var halfOpen = ManualConsole(peer: "x:1")
        _ = try halfOpen.openSession(&bmc, entropy: &entropy)
        halfOpen.crypto = console.crypto
        #expect(halfOpen.send(GetDeviceID.request, to: &bmc, entropy: &entropy).ignoredReason == .unknownSession)
        // Unprotected in-session IPMI messages are not accepted.
        let plain = RMCPPlusPacket.encodePlain(payloadType: .ipmiMessage, sessionID: console.bmcSessionID, sequence: 50,
                                               payload: LANRequest(GetDeviceID.request, sequence: 1).encoded())
        if case .ignored(.malformed(let error)) = bmc.receive(plain, from: console.peer, now: .seconds(1), entropy: &entropy) {
            #expect(error.code == .unsupportedPayloadType)
        } else {
            Issue.record("unprotected in-session message was not refused as malformed")
        }
        // Replies and BMC-only payloads from a console are not answered.
        let rakp2 = RMCPPlusPacket.encodePlain(payloadType: .rakp2, payload: RAKP2(tag: 0, status: .noErrors, consoleSessionID: 1).encoded())
        #expect(bmc.receive(rakp2, from: console.peer, now: .zero, entropy: &entropy).ignoredReason == .notSupported)
    }
}
