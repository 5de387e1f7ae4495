import IPMI
import Testing

/// Seeded, reproducible property tests: codec round trips, and a mutation run over every valid datagram of the
/// vectors through the full receive path and both state machines.
@Suite("Properties")
struct PropertyTests {
    // MARK: Round trips

    static func randomBytes(_ count: Int, _ rng: inout SeededGenerator) -> [UInt8] { rng.bytes(count) }

    @Test func lanMessagesRoundTrip() throws {
        var rng = SeededGenerator(seed: 0x1A4E_0001)
        for _ in 0..<3_000 {
            var request = LANRequest(IPMIRequest(netFn: UInt8.random(in: 0...0x3F, using: &rng) & ~1, command: UInt8.random(in: 0...255, using: &rng),
                                                 data: rng.bytes(Int.random(in: 0...40, using: &rng))),
                                     sequence: UInt8.random(in: 0...63, using: &rng))
            request.responderAddress = UInt8.random(in: 0...255, using: &rng)
            request.requesterAddress = UInt8.random(in: 0...255, using: &rng)
            request.responderLUN = UInt8.random(in: 0...3, using: &rng)
            request.requesterLUN = UInt8.random(in: 0...3, using: &rng)
            let bytes = request.encoded()
            #expect(bytes.count == 7 + request.data.count)
            #expect(ipmiChecksum(bytes[0..<3]) == 0 && ipmiChecksum(bytes[3...]) == 0)
            #expect(try LANRequest.decode(bytes) == request)

            let response = LANResponse(answering: request, with: IPMIResponse(
                completionCode: CompletionCode(UInt8.random(in: 0...255, using: &rng)), data: rng.bytes(Int.random(in: 0...40, using: &rng))))
            let encoded = response.encoded()
            #expect(ipmiChecksum(encoded[0..<3]) == 0 && ipmiChecksum(encoded[3...]) == 0)
            let decoded = try LANResponse.decode(encoded)
            #expect(decoded == response)
            #expect(decoded.sequence == request.sequence && decoded.netFn == request.netFn | 1 && decoded.command == request.command)
        }
    }

    @Test func sessionSetupMessagesRoundTrip() throws {
        var rng = SeededGenerator(seed: 0x1A4E_0002)
        for _ in 0..<2_000 {
            var open = OpenSessionRequest(tag: UInt8.random(in: 0...255, using: &rng),
                                          requestedPrivilege: PrivilegeLevel(rawValue: UInt8.random(in: 0...5, using: &rng))!,
                                          consoleSessionID: UInt32.random(in: 0...UInt32.max, using: &rng), suite: .suite3)
            open.authentication = UInt8.random(in: 0...0x3F, using: &rng)
            open.integrity = UInt8.random(in: 0...0x3F, using: &rng)
            open.confidentiality = UInt8.random(in: 0...0x3F, using: &rng)
            #expect(open.encoded().count == 32)
            #expect(try OpenSessionRequest.decode(open.encoded()[...]) == open)

            let accepted = OpenSessionResponse(
                tag: open.tag, status: .noErrors, maximumPrivilege: UInt8.random(in: 0...15, using: &rng),
                consoleSessionID: open.consoleSessionID, bmcSessionID: UInt32.random(in: 1...UInt32.max, using: &rng),
                authentication: open.authentication, integrity: open.integrity, confidentiality: open.confidentiality)
            #expect(accepted.encoded().count == 36)
            #expect(try OpenSessionResponse.decode(accepted.encoded()[...]) == accepted)
            let refused = OpenSessionResponse(tag: open.tag, status: RMCPPlusStatus(UInt8.random(in: 1...0x12, using: &rng)),
                                              consoleSessionID: open.consoleSessionID)
            #expect(try OpenSessionResponse.decode(refused.encoded()[...]) == refused)

            let name = rng.bytes(Int.random(in: 0...16, using: &rng))
            let rakp1 = RAKP1(tag: open.tag, bmcSessionID: accepted.bmcSessionID, consoleRandom: rng.bytes(16),
                              role: UInt8.random(in: 0...255, using: &rng), username: name)
            #expect(rakp1.encoded().count == 28 + name.count)
            #expect(try RAKP1.decode(rakp1.encoded()[...]) == rakp1)
            // The 44-byte form, name zero-padded to 16.
            let padded = rakp1.encoded() + [UInt8](repeating: 0, count: 16 - name.count)
            #expect(try RAKP1.decode(padded[...]) == rakp1)

            let codeLength = [0, 16, 20, 32][Int.random(in: 0...3, using: &rng)]
            let rakp2 = RAKP2(tag: open.tag, status: .noErrors, consoleSessionID: open.consoleSessionID, bmcRandom: rng.bytes(16),
                              bmcGUID: rng.bytes(16), authCode: rng.bytes(codeLength))
            #expect(try RAKP2.decode(rakp2.encoded()[...]) == rakp2)
            let rakp3 = RAKP3(tag: open.tag, status: RMCPPlusStatus(UInt8.random(in: 0...0x12, using: &rng)),
                              bmcSessionID: accepted.bmcSessionID, authCode: rng.bytes(codeLength))
            #expect(try RAKP3.decode(rakp3.encoded()[...]) == rakp3)
            let rakp4 = RAKP4(tag: open.tag, status: .noErrors, consoleSessionID: open.consoleSessionID,
                              integrityCheckValue: rng.bytes([0, 12, 16][Int.random(in: 0...2, using: &rng)]))
            #expect(try RAKP4.decode(rakp4.encoded()[...]) == rakp4)

            // Inside their RMCP+ datagrams.
            let datagram = RMCPPlusPacket.encodePlain(payloadType: .rakp1, payload: rakp1.encoded())
            guard case .rmcpPlus(let packet) = try Datagram.decode(datagram) else { throw TestFailure("not RMCP+") }
            #expect(packet.payloadType == .rakp1 && packet.sessionID == 0 && Array(packet.payload) == rakp1.encoded())
        }
    }

    @Test func framingRoundTrips() throws {
        var rng = SeededGenerator(seed: 0x1A4E_0003)
        for _ in 0..<2_000 {
            let packet = IPMI15Packet(sessionSequence: UInt32.random(in: 0...UInt32.max, using: &rng),
                                      sessionID: UInt32.random(in: 0...UInt32.max, using: &rng),
                                      message: rng.bytes(Int.random(in: 0...200, using: &rng)))
            guard case .ipmi15(let decoded) = try Datagram.decode(packet.encoded()) else { throw TestFailure("not 1.5") }
            #expect(decoded == packet)
            let asf = ASFMessage(messageType: UInt8.random(in: 0...255, using: &rng), tag: UInt8.random(in: 0...255, using: &rng),
                                 data: rng.bytes(Int.random(in: 0...40, using: &rng)))
            guard case .asf(let decodedASF) = try Datagram.decode(asf.encoded()) else { throw TestFailure("not ASF") }
            #expect(decodedASF == asf)
        }
    }

    @Test("seal and open are inverse", arguments: [CipherSuite.suite3, .suite17, .suite0])
    func sealOpenRoundTrip(suite: CipherSuite) throws {
        var rng = SeededGenerator(seed: 0x1A4E_0004 &+ UInt64(suite.id))
        let keyLength = max(suite.authentication.hmacLength, 20)
        for _ in 0..<300 {
            let keys = SessionKeys(sik: rng.bytes(keyLength), k1: rng.bytes(keyLength), k2: rng.bytes(keyLength))
            let crypto = SessionCrypto(suite: suite, keys: keys)
            for _ in 0..<5 {
                let message = rng.bytes(Int.random(in: 0...100, using: &rng))
                let sessionID = UInt32.random(in: 0...UInt32.max, using: &rng), sequence = UInt32.random(in: 0...UInt32.max, using: &rng)
                let sealed = crypto.seal(payloadType: .ipmiMessage, sessionID: sessionID, sequence: sequence, payload: message,
                                         iv: rng.bytes(crypto.ivLength))
                guard case .rmcpPlus(let packet) = try Datagram.decode(sealed) else { throw TestFailure("not RMCP+") }
                #expect(packet.sessionID == sessionID && packet.sessionSequence == sequence)
                #expect(packet.isAuthenticated == (suite.integrity != .none) && packet.isEncrypted == (suite.confidentiality != .none))
                if suite.integrity != .none {
                    // 4-byte alignment from the auth type byte through the next header.
                    #expect((sealed.count - 4 - suite.integrity.authCodeLength) % 4 == 0)
                }
                #expect(try crypto.open(packet) == message)
            }
        }
    }

    @Test("random consoles always get a session with a matching BMC", arguments: 0..<4)
    func randomHandshakes(partition: Int) throws {
        var rng = SeededGenerator(seed: 0x1A4E_0100 &+ UInt64(partition))
        for _ in 0..<12 {
            let name = String((0..<Int.random(in: 1...16, using: &rng)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x61...0x7A, using: &rng))) })
            let password = String((0..<Int.random(in: 0...20, using: &rng)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x21...0x7E, using: &rng))) })
            let kg: [UInt8]? = Bool.random(using: &rng) ? rng.bytes(20) : nil
            let privilege = [PrivilegeLevel.user, .operator, .administrator][Int.random(in: 0...2, using: &rng)]
            let suite: UInt8? = [nil, 3, 17][Int.random(in: 0...2, using: &rng)]
            var link = InMemoryLink(
                bmc: makeBMCConfiguration(users: [BMCUser(name: name, password: password)], kg: kg),
                console: ConsoleConfiguration(username: name, password: password, kg: kg, privilege: privilege, cipherSuite: suite,
                                              nameOnlyLookup: Bool.random(using: &rng)))
            link.consoleEntropy = SeededGenerator(seed: rng.next())
            link.bmcEntropy = SeededGenerator(seed: rng.next())
            link.application = { request in IPMIResponse(data: request.data.reversed()) }
            link.start()
            let summary = try #require(link.established, "\(name) \(privilege) suite \(String(describing: suite))")
            #expect(summary.privilege == privilege && summary.suite.id == (suite ?? 17))
            let data = rng.bytes(Int.random(in: 0...30, using: &rng))
            let token = link.send(IPMIRequest(netFn: NetFn.application, command: GetSystemGUID.command, data: data))
            #expect(link.results[token] == .success(IPMIResponse(data: data.reversed())))
            link.close()
            #expect(link.closed && link.bmc.sessions.isEmpty)
        }
    }

    // MARK: Mutations

    /// Every mutation and truncation of the valid datagrams of the vectors (in-session packets, set-up frames,
    /// ASF, pre-session messages) goes through the receive path and both state machines. At least 100 000 mutants
    /// per run in all, split over four test cases so both cores work.
    static let mutantsPerPartition = 26_000

    @Test("mutated datagrams never crash and never pass authentication", .timeLimit(.minutes(2)), arguments: 0..<4)
    func mutatedDatagrams(partition: Int) throws {
        let corpus = try FuzzCorpus.shared()
        var rng = SeededGenerator(seed: 0xF022_0000 &+ UInt64(partition))
        var stats = FuzzStats()
        var produced = 0
        while produced < Self.mutantsPerPartition {
            let entry = corpus.entries[Int.random(in: 0..<corpus.entries.count, using: &rng)]
            let mutant = FuzzCorpus.mutate(entry.bytes, &rng)
            guard mutant != entry.bytes else { continue }
            produced += 1
            corpus.check(mutant, of: entry, stats: &stats, rng: &rng)
        }
        #expect(produced >= Self.mutantsPerPartition)
        #expect(stats.failures.isEmpty, "\(stats.failures.prefix(8))")
        // The run really exercised both outcomes.
        #expect(stats.rejected > produced / 2)
        #expect(stats.accepted > 0)
        #expect(stats.authenticatedMutants > produced / 4)
    }

    @Test("every truncation of every valid datagram", .timeLimit(.minutes(1)))
    func truncations() throws {
        let corpus = try FuzzCorpus.shared()
        var rng = SeededGenerator(seed: 0x7E0C)
        var stats = FuzzStats()
        var count = 0
        for entry in corpus.entries {
            for length in 0..<entry.bytes.count {
                count += 1
                corpus.check(Array(entry.bytes.prefix(length)), of: entry, stats: &stats, rng: &rng)
            }
        }
        #expect(stats.failures.isEmpty, "\(stats.failures.prefix(8))")
        #expect(count > 4_000)
        #expect(stats.authenticatedMutants > 56 * 60)
    }

    @Test func corpusIsValid() throws {
        let corpus = try FuzzCorpus.shared()
        #expect(corpus.entries.filter(\.authenticated).count == 56)
        #expect(corpus.entries.count == 4 * (8 + 14) + 5)
        var stats = FuzzStats()
        var rng = SeededGenerator(seed: 1)
        for entry in corpus.entries {
            #expect(throws: Never.self, "\(entry.label)") { try FuzzCorpus.receivePath(entry.bytes, entry) }
            // The originals reach the application or get answered.
            corpus.check(entry.bytes, of: entry, stats: &stats, rng: &rng, original: true)
        }
        #expect(stats.failures.isEmpty, "\(stats.failures.prefix(8))")
    }
}

struct FuzzStats {
    var accepted = 0
    var rejected = 0
    var authenticatedMutants = 0
    var failures: [String] = []
}

/// The valid datagrams of the vectors, each with the keys and state-machine snapshots that make a mutant of it
/// travel as far as possible.
struct FuzzCorpus: Sendable {
    struct Entry: Sendable {
        var label: String
        var bytes: [UInt8]
        var fromConsole: Bool
        var crypto: SessionCrypto?
        var authenticated: Bool { crypto != nil }
        /// The BMC or console state that expects this datagram.
        var bmc: Int
        var console: Int
    }

    var entries: [Entry] = []
    var bmcs: [TestBMC] = []
    var consoles: [ConsoleStateMachine] = []
    static let peer = "fuzz:623"
    /// Keys for mutants that acquire protection bits but belong to no session.
    static let strayCrypto = SessionCrypto(suite: .suite3, keys: SessionKeys(sik: [1], k1: [2], k2: [UInt8](repeating: 3, count: 20)))

    private static let cache = Result { try FuzzCorpus() }
    static func shared() throws -> FuzzCorpus { try cache.get() }

    private init() throws {
        var setupBMC = TestBMC(configuration: makeBMCConfiguration())
        var bmcEntropy = ScriptedGenerator()
        bmcs.append(setupBMC)  // 0: fresh
        consoles.append(ConsoleStateMachine(configuration: ConsoleConfiguration(username: "admin", password: "password")))  // 0: idle

        // One BMC with all four captured sessions active; a console per capture awaiting its Set Session Priv answer.
        for capture in SetupCapture.all {
            let vector = try KATVector.load(capture.vector)
            let short = capture.vector.shortVectorName
            // BMC snapshots before each console frame of the set-up.
            var bmc = TestBMC(configuration: makeBMCConfiguration())
            var entropy = ScriptedGenerator()
            entropy.queueSessionID(capture.bmcSessionID)
            entropy.queueBytes(capture.bmcRandom)
            let beforeRAKP1: Int, beforeRAKP3: Int
            _ = bmc.receive(capture.openSessionRequest, from: Self.peer, now: .zero, entropy: &entropy)
            bmcs.append(bmc)
            beforeRAKP1 = bmcs.count - 1
            _ = bmc.receive(capture.rakp1, from: Self.peer, now: .zero, entropy: &entropy)
            bmcs.append(bmc)
            beforeRAKP3 = bmcs.count - 1

            // Console snapshots before each BMC frame of the set-up (tags patched to ours).
            var console = ConsoleStateMachine(configuration: ConsoleConfiguration(username: "admin", password: "password",
                                                                                  cipherSuite: capture.suite.id))
            var consoleEntropy = ScriptedGenerator()
            consoleEntropy.queueSessionID(capture.consoleSessionID)
            consoleEntropy.queueBytes(capture.consoleRandom)
            _ = console.start(entropy: &consoleEntropy)
            var consoleSnapshots: [Int] = []
            for frame in [capture.authCapsResponse, ConsoleReplay.withTag(capture.openSessionResponse, 1),
                          ConsoleReplay.withTag(capture.rakp2, 1), ConsoleReplay.withTag(capture.rakp4, 1)] {
                consoles.append(console)
                consoleSnapshots.append(consoles.count - 1)
                _ = console.receive(frame, entropy: &consoleEntropy)
            }
            consoles.append(console)
            let awaitingPrivilege = consoles.count - 1

            let frames: [(String, [UInt8], Bool, Int, Int)] = [
                ("auth caps request", capture.authCapsRequest, true, 0, 0),
                ("auth caps response", capture.authCapsResponse, false, 0, consoleSnapshots[0]),
                ("open session request", capture.openSessionRequest, true, 0, 0),
                ("open session response", ConsoleReplay.withTag(capture.openSessionResponse, 1), false, 0, consoleSnapshots[1]),
                ("RAKP1", capture.rakp1, true, beforeRAKP1, 0),
                ("RAKP2", ConsoleReplay.withTag(capture.rakp2, 1), false, 0, consoleSnapshots[2]),
                ("RAKP3", capture.rakp3, true, beforeRAKP3, 0),
                ("RAKP4", ConsoleReplay.withTag(capture.rakp4, 1), false, 0, consoleSnapshots[3]),
            ]
            for (label, bytes, fromConsole, bmcIndex, consoleIndex) in frames {
                entries.append(Entry(label: "\(short) \(label)", bytes: bytes, fromConsole: fromConsole, crypto: nil,
                                     bmc: bmcIndex, console: consoleIndex))
            }

            // The shared BMC: replay the whole set-up.
            bmcEntropy.queueSessionID(capture.bmcSessionID)
            bmcEntropy.queueBytes(capture.bmcRandom)
            for frame in [capture.openSessionRequest, capture.rakp1, capture.rakp3] {
                _ = setupBMC.receive(frame, from: Self.peer, now: .zero, entropy: &bmcEntropy)
            }
            for packet in vector.packets {
                entries.append(Entry(label: "\(short) packet \(packet.index)", bytes: packet.bytes, fromConsole: packet.fromConsole,
                                     crypto: vector.crypto, bmc: -1, console: awaitingPrivilege))
            }
        }
        bmcs.append(setupBMC)
        let sharedBMC = bmcs.count - 1
        entries = entries.map { entry in
            var entry = entry
            if entry.bmc == -1 { entry.bmc = sharedBMC }
            return entry
        }

        // Pre-session datagrams: ASF, the cipher suite exchange, 1.5 framing with a legacy pad.
        let query = LANRequest(GetChannelCipherSuites.Request(listIndex: 0).ipmiRequest, sequence: 1)
        let pages = [hx("01 c0 01 01 40 80 c0 02 01 41 80 c0 03 01 41 81 c0"), hx("01 0f 03 40 80 c0 10 03 44 80 c0 11 03 44 81")]
        var negotiating = ConsoleStateMachine(configuration: ConsoleConfiguration(username: "admin", password: "password"))
        var entropy = SeededGenerator(seed: 5)
        _ = negotiating.start(entropy: &entropy)
        _ = negotiating.receive(SetupCapture.all[2].authCapsResponse, entropy: &entropy)
        consoles.append(negotiating)
        let awaitingSuites = consoles.count - 1
        entries += [
            Entry(label: "ASF ping", bytes: ASFMessage.ping(tag: 3).encoded(), fromConsole: true, bmc: 0, console: 0),
            Entry(label: "ASF pong", bytes: ASFMessage.pong(tag: 3).encoded(), fromConsole: false, bmc: 0, console: 0),
            Entry(label: "cipher suites query", bytes: RMCPPlusPacket.encodePlain(payloadType: .ipmiMessage, payload: query.encoded()),
                  fromConsole: true, bmc: 0, console: 0),
            Entry(label: "cipher suites page 0", bytes: RMCPPlusPacket.encodePlain(
                payloadType: .ipmiMessage, payload: LANResponse(answering: query, with: IPMIResponse(data: pages[0])).encoded()),
                  fromConsole: false, bmc: 0, console: awaitingSuites),
            Entry(label: "1.5 with legacy pad", bytes: IPMI15Packet(message: LANRequest(
                IPMIRequest(netFn: 6, command: 0x38, data: [UInt8](repeating: 0x8E, count: 35)), sequence: 0).encoded()).encoded(),
                  fromConsole: true, bmc: 0, console: 0),
        ]
    }

    /// One random mutation, sometimes two or three stacked.
    static func mutate(_ original: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var bytes = original
        for _ in 0..<[1, 1, 1, 2, 3][Int.random(in: 0...4, using: &rng)] {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            case 1 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 2:
                bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
            case 3 where !bytes.isEmpty:
                bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
            case 4:
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            default:
                // Length fields and flags are where decoders break: hit the header bytes.
                if bytes.count > 16 { bytes[Int.random(in: 3...15, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            }
        }
        return bytes
    }

    /// The full receive path: demultiplex, verify and decrypt with the right keys, decode the payload.
    /// Returns normally when the datagram is accepted; throws otherwise.
    static func receivePath(_ bytes: [UInt8], _ entry: Entry) throws {
        switch try Datagram.decode(bytes) {
        case .asf:
            return
        case .ipmi15(let packet):
            if entry.fromConsole { _ = try LANRequest.decode(packet.message) } else { _ = try LANResponse.decode(packet.message) }
        case .rmcpPlus(let packet):
            var payload = Array(packet.payload)
            if packet.isAuthenticated || packet.isEncrypted { payload = try (entry.crypto ?? strayCrypto).open(packet) }
            switch packet.payloadType {
            case .ipmiMessage:
                if entry.fromConsole { _ = try LANRequest.decode(payload) } else { _ = try LANResponse.decode(payload) }
            case .openSessionRequest: _ = try OpenSessionRequest.decode(payload[...])
            case .openSessionResponse: _ = try OpenSessionResponse.decode(payload[...])
            case .rakp1: _ = try RAKP1.decode(payload[...])
            case .rakp2: _ = try RAKP2.decode(payload[...])
            case .rakp3: _ = try RAKP3.decode(payload[...])
            case .rakp4: _ = try RAKP4.decode(payload[...])
            case .sol: return
            }
        }
    }

    func check(_ mutant: [UInt8], of entry: Entry, stats: inout FuzzStats, rng: inout SeededGenerator, original: Bool = false) {
        // 1. The pure receive path: an IPMIDecodingError or a value, nothing else.
        var accepted = false
        do {
            try Self.receivePath(mutant, entry)
            accepted = true
            stats.accepted += 1
        } catch is IPMIDecodingError {
            stats.rejected += 1
        } catch {
            stats.failures.append("\(entry.label): non-IPMIDecodingError \(error)")
        }
        if entry.authenticated && !original {
            stats.authenticatedMutants += 1
            if accepted { stats.failures.append("\(entry.label): mutant accepted: \(hexString(mutant))") }
        }

        // 2. Both state machines, from the state that expects the original.
        if entry.fromConsole {
            var bmc = bmcs[entry.bmc]
            let activeBefore = bmc.activeSessionCount
            let output = bmc.receive(mutant, from: Self.peer, now: .seconds(1), entropy: &rng)
            if entry.authenticated && original {
                if output.ignoredReason != nil { stats.failures.append("\(entry.label): original ignored by the BMC") }
            } else if entry.authenticated {
                // A mutant never reaches the application, never gets an answer inside a session and never ends one.
                // (With other payload-type bits it may be taken for an unprotected set-up message and get a set-up
                // error reply, like any datagram from anyone.)
                switch output {
                case .ignored:
                    break
                case .dispatch:
                    stats.failures.append("\(entry.label): BMC dispatched a mutant: \(hexString(mutant))")
                case .reply(let bytes):
                    if bytes.count < 6 || bytes[5] & 0xC0 != 0 || bytes[5] & 0x3F == PayloadType.ipmiMessage.rawValue {
                        stats.failures.append("\(entry.label): BMC answered a mutant in session: \(hexString(mutant))")
                    }
                }
                if bmc.activeSessionCount != activeBefore {
                    stats.failures.append("\(entry.label): a mutant changed the active sessions: \(hexString(mutant))")
                }
            } else if original, output.replyBytes == nil {
                stats.failures.append("\(entry.label): original not answered by the BMC")
            }
        } else {
            var console = consoles[entry.console]
            let ignoredBefore = console.ignoredDatagrams
            let actions = console.receive(mutant, entropy: &rng)
            if entry.authenticated && !original {
                let progressed = actions.contains {
                    switch $0 {
                    case .established, .completed: true
                    default: false
                    }
                }
                if progressed || console.ignoredDatagrams != ignoredBefore + 1 {
                    stats.failures.append("\(entry.label): console acted on a mutant: \(hexString(mutant))")
                }
            }
        }
    }
}

extension String {
    /// `kat_suite3_ipmitool_ipmisim_power_on.json` → `suite3 power_on`.
    var shortVectorName: String {
        let parts = split(separator: "_")
        guard parts.count >= 5 else { return self }
        return "\(parts[1]) \(parts[4...].joined(separator: "_").split(separator: ".").first ?? "")"
    }
}
