import IPMI
import Testing

@Suite("Wire codec")
struct WireCodecTests {
    // MARK: Checksums and LAN messages

    @Test func checksumsOfTheReferenceExamples() {
        #expect(ipmiChecksum([0x20, 0x00]) == 0xE0)
        #expect(ipmiChecksum([0x81, 0x18, 0x01]) == 0x66)
        #expect(ipmiChecksum([0x20, 0x18]) == 0xC8)
        #expect(ipmiChecksum([0x81, 0x04, 0x3B, 0x04]) == 0x3C)
        #expect(ipmiChecksum([UInt8]()) == 0x00)
        #expect(ipmiChecksum([0x80, 0x80]) == 0x00)
        // A message with its checksum sums to zero.
        #expect(ipmiChecksum([0x81, 0x18, 0x01, 0x66]) == 0x00)
    }

    @Test func getChassisStatusRequestAndResponseBytes() throws {
        let request = LANRequest(GetChassisStatus.request, sequence: 6)
        #expect(request.encoded() == hx("20 00 E0 81 18 01 66"))
        let decoded = try LANRequest.decode(hx("20 00 E0 81 18 01 66"))
        #expect(decoded == request)
        #expect(decoded.netFn == NetFn.chassis && decoded.command == 0x01 && decoded.sequence == 6 && decoded.data.isEmpty)

        let response = try LANResponse.decode(hx("81 04 7B 20 18 01 00 00 00 00 C7"))
        #expect(response.netFn == 0x01 && response.command == 0x01 && response.sequence == 6)
        #expect(response.response == IPMIResponse(completionCode: .ok, data: [0, 0, 0]))
        #expect(LANResponse(answering: request, with: IPMIResponse(data: [0, 0, 0])).encoded() == hx("81 04 7B 20 18 01 00 00 00 00 C7"))
    }

    @Test func sessionPrivilegeAndChassisControlBytes() throws {
        #expect(LANRequest(SetSessionPrivilegeLevel.request(.administrator), sequence: 1).encoded() == hx("20 18 C8 81 04 3B 04 3C"))
        #expect(LANRequest(ChassisControl.powerUp.request, sequence: 6).encoded() == hx("20 00 E0 81 18 02 01 64"))
        let response = try LANResponse.decode(hx("81 04 7B 20 18 02 00 C6"))
        #expect(response.command == ChassisControl.command && response.response.completionCode == .ok && response.response.data.isEmpty)
        #expect(LANRequest(CloseSession.request(bmcSessionID: 0x1302), sequence: 7).encoded() == hx("20 18 c8 81 1c 3c 02 13 00 00 12"))
        #expect(try CloseSession.sessionID(in: hx("02130000")) == 0x1302)
        #expect(throws: IPMIDecodingError.self) { try CloseSession.sessionID(in: [0x02, 0x13]) }
        // Unknown-command answers of the captures: C1 with no data.
        let c1 = try LANResponse.decode(hx("81 b4 cb 20 08 3e c1 d9"))
        #expect(c1.netFn == 0x2D && c1.command == 0x3E && c1.response.completionCode == .invalidCommand)
    }

    @Test func badChecksumsAreRejected() {
        let header = #expect(throws: IPMIDecodingError.self) { try LANRequest.decode(hx("20 00 E1 81 18 01 66")) }
        #expect(header?.code == .badChecksum)
        #expect(header?.offset == 2)
        let body = #expect(throws: IPMIDecodingError.self) { try LANRequest.decode(hx("20 00 E0 81 18 01 67")) }
        #expect(body?.code == .badChecksum)
        let response = #expect(throws: IPMIDecodingError.self) { try LANResponse.decode(hx("81 04 7B 20 18 01 00 00 00 01 C7")) }
        #expect(response?.code == .badChecksum)
        // Too short: a request needs 7 bytes, a response 8 (completion code).
        expectDecodingError(.truncated) { try LANRequest.decode(hx("20 00 E0 81 18 67")) }
        expectDecodingError { try LANResponse.decode(hx("20 00 E0 81 18 01 66")) }
        // A response needs an odd netFn.
        let even = #expect(throws: IPMIDecodingError.self) { try LANResponse.decode(hx("81 00 7F 20 18 01 00 C7")) }
        #expect(even?.code == .invalidField)
    }

    @Test func lunsAndAddressesRoundTrip() throws {
        var request = LANRequest(IPMIRequest(netFn: 0x2C, command: 0x3E, data: [0x00, 0x02]), sequence: 0x3F)
        request.responderLUN = 2
        request.requesterLUN = 1
        request.requesterAddress = 0x83
        let bytes = request.encoded()
        #expect(bytes[1] == 0x2C << 2 | 2 && bytes[4] == 0x3F << 2 | 1)
        #expect(try LANRequest.decode(bytes) == request)
        let response = LANResponse(answering: request, with: .error(.invalidCommand))
        let decoded = try LANResponse.decode(response.encoded())
        #expect(decoded == response)
        #expect(decoded.requesterLUN == 1 && decoded.responderLUN == 2 && decoded.requesterAddress == 0x83)
        // rqSeq is 6 bits.
        #expect(LANRequest(GetDeviceID.request, sequence: 0x41).sequence == 0x01)
    }

    // MARK: RMCP and ASF

    @Test func asfPingAndPongBytes() throws {
        let ping = ASFMessage.ping(tag: 0x07)
        #expect(ping.encoded() == hx("06 00 FF 06 | 00 00 11 BE | 80 | 07 | 00 | 00"))
        let pong = ASFMessage.pong(tag: 0x07)
        #expect(pong.encoded() == hx("""
            06 00 FF 06  00 00 11 BE  40  07  00  10
            00 00 11 BE  00 00 00 00  81  00  00 00 00 00 00 00
            """))
        #expect(pong.supportsIPMI)
        #expect(!ping.supportsIPMI)
        guard case .asf(let decodedPing) = try Datagram.decode(ping.encoded()) else { throw TestFailure("not ASF") }
        #expect(decodedPing == ping)
        guard case .asf(let decodedPong) = try Datagram.decode(pong.encoded()) else { throw TestFailure("not ASF") }
        #expect(decodedPong == pong && decodedPong.supportsIPMI)

        // A BMC answers a ping with exactly that pong, echoing the tag.
        var bmc = TestBMC(configuration: makeBMCConfiguration())
        var entropy = SeededGenerator(seed: 9)
        #expect(bmc.receive(ASFMessage.ping(tag: 0x2A).encoded(), from: "a", now: .zero, entropy: &entropy).replyBytes
                == ASFMessage.pong(tag: 0x2A).encoded())
        #expect(bmc.receive(pong.encoded(), from: "a", now: .zero, entropy: &entropy).ignoredReason == .notSupported)
    }

    @Test func rmcpHeaderIsChecked() {
        let ping = ASFMessage.ping(tag: 0).encoded()
        for (index, value, code) in [(0, UInt8(0x07), IPMIDecodingError.Code.unsupportedVersion), (1, 0x01, .invalidField),
                                     (2, 0x00, .invalidField), (3, 0x08, .unsupportedClass), (3, 0x86, .unsupportedClass)] {
            var bytes = ping
            bytes[index] = value
            let error = #expect(throws: IPMIDecodingError.self) { try Datagram.decode(bytes) }
            #expect(error?.code == code && error?.offset == index)
        }
        var wrongIANA = ping
        wrongIANA[7] = 0xBF
        #expect(throws: IPMIDecodingError.self) { try Datagram.decode(wrongIANA) }
        expectDecodingError(.truncated) { try Datagram.decode(hx("0600ff07")) }
        #expect(throws: IPMIDecodingError.self) { try Datagram.decode([]) }
    }

    // MARK: IPMI 1.5 framing

    @Test func ipmi15FramingAndLegacyPad() throws {
        let authCaps = hx("0600ff07 00 00000000 00000000 09 2018c88100388e04b5")
        guard case .ipmi15(let packet) = try Datagram.decode(authCaps) else { throw TestFailure("not 1.5") }
        #expect(packet == IPMI15Packet(message: hx("2018c88100388e04b5")))
        #expect(packet.encoded() == authCaps)

        // Total lengths 56, 84, 112, 128 and 156 get a single 00 pad byte; others none.
        for total in 15...170 {
            let packet = IPMI15Packet(sessionSequence: 0x0102_0304, sessionID: 0x0A0B_0C0D, message: [UInt8](repeating: 0x5A, count: total - 14))
            let encoded = packet.encoded()
            let padded = [56, 84, 112, 128, 156].contains(total)
            #expect(encoded.count == total + (padded ? 1 : 0), "total \(total)")
            if padded { #expect(encoded.last == 0x00) }
            #expect(Array(encoded[4..<14]) == hx("00 04030201 0d0c0b0a") + [UInt8(total - 14)])
            guard case .ipmi15(let decoded) = try Datagram.decode(encoded) else { throw TestFailure("not 1.5") }
            #expect(decoded == packet)
        }
        // A non-zero pad byte, or more than one trailing byte, is rejected.
        let message = [UInt8](repeating: 0x11, count: 42)
        var padded = IPMI15Packet(message: message).encoded()
        #expect(padded.count == 57)
        padded[56] = 0x01
        expectDecodingError(.lengthMismatch) { try Datagram.decode(padded) }
        expectDecodingError(.lengthMismatch) { try Datagram.decode(authCaps + [0, 0]) }
        // Only auth type none is spoken.
        var md5 = authCaps
        md5[4] = 0x02
        expectDecodingError(.unsupportedAuthType) { try Datagram.decode(md5) }
        // A declared length beyond the datagram.
        var long = authCaps
        long[13] = 0x0A
        expectDecodingError(.truncated) { try Datagram.decode(long) }
    }

    // MARK: RMCP+ framing

    @Test func preSessionRMCPPlusFraming() throws {
        // ipmi.md 6.2: ipmitool's pre-session Get Channel Cipher Suites.
        let wire = hx("0600ff07 06 00 00000000 00000000 0a00 2018c88104540e008099")
        let message = LANRequest(GetChannelCipherSuites.Request(listIndex: 0).ipmiRequest, sequence: 1)
        #expect(RMCPPlusPacket.encodePlain(payloadType: .ipmiMessage, payload: message.encoded()) == wire)
        guard case .rmcpPlus(let packet) = try Datagram.decode(wire) else { throw TestFailure("not RMCP+") }
        #expect(packet.payloadType == .ipmiMessage && !packet.isAuthenticated && !packet.isEncrypted)
        #expect(packet.sessionID == 0 && packet.sessionSequence == 0 && Array(packet.payload) == message.encoded())
        #expect(packet.trailer.isEmpty)
        #expect(try GetChannelCipherSuites.Request(data: try LANRequest.decode(packet.payload).data) == GetChannelCipherSuites.Request(listIndex: 0))

        // Trailing bytes after an unauthenticated payload, a short payload, an unknown payload type.
        expectDecodingError(.lengthMismatch) { try Datagram.decode(wire + [0]) }
        expectDecodingError(.truncated) { try Datagram.decode(Array(wire.dropLast())) }
        var oem = wire
        oem[5] = 0x02
        expectDecodingError(.unsupportedPayloadType) { try Datagram.decode(oem) }
        oem[5] = 0x20
        expectDecodingError(.unsupportedPayloadType) { try Datagram.decode(oem) }
    }

    // MARK: Commands

    @Test func bootFlagEncodings() throws {
        #expect(SystemBootOptions.setBootFlags(BootFlags(device: .pxe)).data == hx("05 80 04 00 00 00"))
        #expect(SystemBootOptions.setBootFlags(BootFlags(device: .disk)).data == hx("05 80 08 00 00 00"))
        #expect(SystemBootOptions.setBootFlags(BootFlags(device: .pxe, persistent: true)).data == hx("05 C0 04 00 00 00"))
        #expect(SystemBootOptions.setBootFlags(BootFlags(device: .pxe, efi: true)).data == hx("05 A0 04 00 00 00"))
        #expect(SystemBootOptions.setBootFlags(BootFlags(device: .cdrom, persistent: true, efi: true)).data == hx("05 E0 14 00 00 00"))
        #expect(SystemBootOptions.setBootFlags(BootFlags(device: .biosSetup)).data == hx("05 80 18 00 00 00"))
        #expect(SystemBootOptions.setBootFlags(BootFlags(device: .diskSafeMode)).data == hx("05 80 0C 00 00 00"))
        #expect(SystemBootOptions.setBootFlags(BootFlags(device: .diagnosticPartition)).data == hx("05 80 10 00 00 00"))
        #expect(SystemBootOptions.setBootFlags(BootFlags(device: .floppy)).data == hx("05 80 3C 00 00 00"))
        #expect(SystemBootOptions.setBootFlags(BootFlags(device: .noOverride, valid: false)).data == hx("05 00 00 00 00 00"))
        let request = SystemBootOptions.setBootFlags(BootFlags(device: .pxe))
        #expect(request.netFn == NetFn.chassis && request.command == 0x08)
        // ipmitool's other Set System Boot Options writes (ipmi.md 11.6).
        #expect(SystemBootOptions.setRequest(parameter: 0, data: [0x01]).data == hx("00 01"))
        #expect(SystemBootOptions.setRequest(parameter: 4, data: [0x01, 0x01]).data == hx("04 01 01"))

        // Get System Boot Options: request and the response `01 05 80 04 00 00 00`.
        let get = SystemBootOptions.getRequest(parameter: 5)
        #expect(get.command == 0x09 && get.data == hx("05 00 00"))
        #expect(SystemBootOptions.getResponseData(parameter: 5, data: BootFlags(device: .pxe).data) == hx("01 05 80 04 00 00 00"))
        let flags = try SystemBootOptions.bootFlags(inGetResponse: hx("01 05 80 04 00 00 00"))
        #expect(flags == BootFlags(device: .pxe))
        #expect(flags.valid && !flags.persistent && !flags.efi && flags.device == .pxe)
        let persistentEFI = try SystemBootOptions.bootFlags(inGetResponse: hx("01 05 E0 08 00 00 00"))
        #expect(persistentEFI.persistent && persistentEFI.efi && persistentEFI.device == .disk)
        // Data bytes 3-5 are kept.
        let extra = try BootFlags(data: hx("80 04 01 02 03")[...])
        #expect(extra.remaining == [1, 2, 3] && extra.data == hx("80 04 01 02 03"))
        #expect(throws: IPMIDecodingError.self) { try SystemBootOptions.bootFlags(inGetResponse: hx("01 04 80 04 00 00 00")) }
        #expect(throws: IPMIDecodingError.self) { try BootFlags(data: hx("80 04 00 00")[...]) }
        // Device selector 0111 is reserved.
        #expect(throws: IPMIDecodingError.self) { try BootFlags(data: hx("80 1C 00 00 00")[...]) }
        for device in BootDevice.allCases {
            #expect(BootDevice(name: device.description) == device)
            #expect(try BootFlags(data: BootFlags(device: device).data[...]).device == device)
        }
    }

    @Test func chassisControlEncodings() throws {
        for (action, byte) in [(ChassisControl.powerDown, UInt8(0)), (.powerUp, 1), (.powerCycle, 2), (.hardReset, 3),
                               (.pulseDiagnosticInterrupt, 4), (.softShutdown, 5)] {
            #expect(action.request == IPMIRequest(netFn: 0x00, command: 0x02, data: [byte]))
            #expect(try ChassisControl(data: [byte]) == action)
        }
        #expect(throws: IPMIDecodingError.self) { try ChassisControl(data: [0x06]) }
        #expect(throws: IPMIDecodingError.self) { try ChassisControl(data: []) }
        #expect(throws: IPMIDecodingError.self) { try ChassisControl(data: [0x01, 0x00]) }
    }

    @Test func getChassisStatusParsing() throws {
        // ipmi_sim: three bytes, power off.
        let off = try GetChassisStatus.Response(data: [0x00, 0x00, 0x00])
        #expect(!off.powerOn && off.restorePolicy == .alwaysOff && off.frontPanel == nil)
        #expect(off.data == [0, 0, 0])
        // Power on, overload, interlock, restore "previous", last event "on by IPMI", identify supported, panel byte.
        let on = try GetChassisStatus.Response(data: [0x27, 0x10, 0x40, 0x0F])
        #expect(on.powerOn && on.powerOverload && on.interlock && !on.powerFault && !on.powerControlFault)
        #expect(on.restorePolicy == .previous)
        #expect(on.lastPowerEvent == 0x10 && on.miscellaneous == 0x40 && on.frontPanel == 0x0F)
        #expect(on.data == [0x27, 0x10, 0x40, 0x0F])
        let faults = try GetChassisStatus.Response(data: [0x78, 0, 0])
        #expect(!faults.powerOn && faults.powerFault && faults.powerControlFault && faults.restorePolicy == .unknown)
        var built = GetChassisStatus.Response(powerOn: true)
        built.restorePolicy = .alwaysOn
        #expect(built.data == [0x41, 0, 0])
        #expect(throws: IPMIDecodingError.self) { try GetChassisStatus.Response(data: [0x01, 0x00]) }
    }

    @Test func getDeviceIDRoundTrip() throws {
        // ipmi_sim's answer (ipmi.md 12).
        let data = hx("00 03 09 08 02 9F 91 12 00 02 0F 00 00 00 00")
        let response = try GetDeviceID.Response(data: data)
        #expect(response.deviceID == 0x00 && response.deviceRevision == 0x03)
        #expect(response.firmwareMajor == 9 && response.firmwareMinor == 0x08)
        #expect(response.ipmiVersion == 0x02 && response.additionalDeviceSupport == 0x9F)
        #expect(response.manufacturerID == 0x1291)
        #expect(response.productID == 0x0F02)
        #expect(response.auxiliaryFirmwareRevision == [0, 0, 0, 0])
        #expect(response.data == data)
        // Without auxiliary firmware revision; busy bit and the 20-bit manufacturer limit are masked.
        let built = GetDeviceID.Response(deviceID: 0x20, firmwareMajor: 0x81, manufacturerID: 0xFF_FFFF, productID: 0xBEEF)
        #expect(built.data == hx("20 01 01 00 02 80 FF FF 0F EF BE"))
        let decoded = try GetDeviceID.Response(data: built.data)
        #expect(decoded.manufacturerID == 0x0F_FFFF && decoded.productID == 0xBEEF && decoded.firmwareMajor == 1)
        #expect(throws: IPMIDecodingError.self) { try GetDeviceID.Response(data: Array(data.prefix(10))) }
        #expect(GetDeviceID.request == IPMIRequest(netFn: 0x06, command: 0x01))
        #expect(try GetSystemGUID.guid(in: testGUID + [0]) == testGUID)
        #expect(throws: IPMIDecodingError.self) { try GetSystemGUID.guid(in: Array(testGUID.prefix(15))) }
    }

    @Test func channelAuthenticationCapabilities() throws {
        let request = GetChannelAuthenticationCapabilities.Request(maximumPrivilege: .operator)
        #expect(request.ipmiRequest.data == [0x8E, 0x03])
        #expect(GetChannelAuthenticationCapabilities.Request(requestExtendedData: false, maximumPrivilege: .administrator).ipmiRequest.data == [0x0E, 0x04])
        #expect(try GetChannelAuthenticationCapabilities.Request(data: [0x8E, 0x03]) == request)
        #expect(throws: IPMIDecodingError.self) { try GetChannelAuthenticationCapabilities.Request(data: [0x8E]) }
        #expect(throws: IPMIDecodingError.self) { try GetChannelAuthenticationCapabilities.Request(data: [0x8E, 0x06]) }
        let ipmiSim = try GetChannelAuthenticationCapabilities.Response(data: hx("01 97 04 03 00 00 00 00"))
        #expect(ipmiSim.supportsRMCPPlus && !ipmiSim.kgIsSet)
        let onlyV15 = try GetChannelAuthenticationCapabilities.Response(data: hx("01 17 04 01 00 00 00 00"))
        #expect(!onlyV15.supportsRMCPPlus)
        let noV20Connections = try GetChannelAuthenticationCapabilities.Response(data: hx("01 80 24 01 00 00 00 00"))
        #expect(!noV20Connections.supportsRMCPPlus && noV20Connections.kgIsSet)
        var oem = GetChannelAuthenticationCapabilities.Response(channel: 1, authTypeSupport: 0x80, authStatus: 0x04, extendedCapabilities: 0x02)
        oem.oemID = 0x0002A2
        oem.oemAuxiliary = 0x07
        #expect(oem.data == hx("01 80 04 02 A2 02 00 07"))
        #expect(try GetChannelAuthenticationCapabilities.Response(data: oem.data) == oem)
        #expect(throws: IPMIDecodingError.self) { try GetChannelAuthenticationCapabilities.Response(data: hx("01 80 04 02 00 00 00")) }
    }

    @Test func channelCipherSuitesRecords() throws {
        // The reference BMC's two pages (ipmi.md 6.2): 16 record bytes, then 14.
        let page0 = hx("01 | c0 01 01 40 80 | c0 02 01 41 80 | c0 03 01 41 81 | c0")
        let page1 = hx("01 | 0f 03 40 80 | c0 10 03 44 80 | c0 11 03 44 81")
        #expect(page0.count == 17 && page1.count == 15)
        let records = Array(page0.dropFirst()) + Array(page1.dropFirst())
        #expect(GetChannelCipherSuites.suiteIDs(in: records) == [1, 2, 3, 15, 16, 17])
        // pyghmi lists only suite 3; an OEM record is skipped over.
        #expect(GetChannelCipherSuites.suiteIDs(in: hx("c0 03 01 41 81")) == [3])
        #expect(GetChannelCipherSuites.suiteIDs(in: hx("c1 80 57 01 00 01 41 81 c0 11 03 44 81")) == [0x80, 17])
        #expect(GetChannelCipherSuites.suiteIDs(in: []) == [])
        // What a BMC lists.
        #expect(GetChannelCipherSuites.records(for: [.suite17, .suite3]) == hx("c0 11 03 44 81 c0 03 01 41 81"))
        #expect(GetChannelCipherSuites.records(for: [.suite0]) == hx("c0 00 00 40 80"))
        #expect(GetChannelCipherSuites.Request(listIndex: 1).ipmiRequest.data == hx("0e 00 81"))
        #expect(GetChannelCipherSuites.Request(payloadType: 1, listIndex: 0).ipmiRequest.data == hx("0e 01 80"))
        #expect(try GetChannelCipherSuites.Request(data: hx("0e 00 81")).listIndex == 1)
        #expect(throws: IPMIDecodingError.self) { try GetChannelCipherSuites.Request(data: hx("0e 00")) }
    }

    @Test func cipherSuiteTable() {
        #expect(CipherSuite(id: 3) == .suite3)
        #expect(CipherSuite(id: 17) == .suite17)
        #expect(CipherSuite(id: 0) == .suite0)
        #expect(CipherSuite(id: 1) == nil && CipherSuite(id: 16) == nil)
        #expect(CipherSuite(authentication: 1, integrity: 1, confidentiality: 1) == .suite3)
        #expect(CipherSuite(authentication: 3, integrity: 4, confidentiality: 1) == .suite17)
        #expect(CipherSuite(authentication: 3, integrity: 1, confidentiality: 1) == nil)
        #expect(AuthenticationAlgorithm.hmacSHA1.hmacLength == 20 && AuthenticationAlgorithm.hmacSHA256.hmacLength == 32)
        #expect(AuthenticationAlgorithm.hmacSHA1.icvLength == 12 && AuthenticationAlgorithm.hmacSHA256.icvLength == 16)
        #expect(IntegrityAlgorithm.hmacSHA1_96.authCodeLength == 12 && IntegrityAlgorithm.hmacSHA256_128.authCodeLength == 16)
    }

    @Test func openSessionAndRAKPExamples() throws {
        // ipmi.md 7.1 and 7.3.
        let suite3 = OpenSessionRequest(tag: 0, requestedPrivilege: .none, consoleSessionID: 0xA0A2_A3A4, suite: .suite3)
        #expect(suite3.encoded() == hx("00 00 0000 a4a3a2a0 0000000801000000 0100000801000000 0200000801000000"))
        let suite17 = OpenSessionRequest(tag: 0, requestedPrivilege: .none, consoleSessionID: 0xA0A2_A3A4, suite: .suite17)
        #expect(suite17.encoded() == hx("00 00 0000 a4a3a2a0 0000000803000000 0100000804000000 0200000801000000"))
        let rakp1 = RAKP1(tag: 0, bmcSessionID: 0x1302, consoleRandom: hx("b80ff1f47f2d00916f599c3c526cf8b4"), role: 0x14,
                          username: Array("admin".utf8))
        #expect(rakp1.encoded() == hx("00 000000 02130000 b80ff1f47f2d00916f599c3c526cf8b4 14 0000 05 61646d696e"))
        // Algorithm payload length 0 ("BMC picks") and a wrong payload type are refused.
        var lengthZero = suite3.encoded()
        lengthZero[11] = 0
        #expect(throws: IPMIDecodingError.self) { try OpenSessionRequest.decode(lengthZero[...]) }
        var swapped = suite3.encoded()
        swapped[16] = 0x02
        #expect(throws: IPMIDecodingError.self) { try OpenSessionRequest.decode(swapped[...]) }
        #expect(throws: IPMIDecodingError.self) { try OpenSessionRequest.decode((suite3.encoded() + [0])[...]) }
    }

    @Test func errorRepliesOfRealBMCs() throws {
        // ipmi_sim: two bytes, tag and status.
        let twoBytes = try OpenSessionResponse.decode(hx("00 04")[...])
        #expect(twoBytes.tag == 0 && twoBytes.status == .invalidAuthenticationAlgorithm && twoBytes.consoleSessionID == 0)
        // The reference BMC: eight bytes with SIDm.
        let eight = try OpenSessionResponse.decode(hx("07 11 00 00 a4a3a2a0")[...])
        #expect(eight.tag == 7 && eight.status == .noCipherSuiteMatch && eight.consoleSessionID == 0xA0A2_A3A4)
        #expect(OpenSessionResponse(tag: 7, status: .noCipherSuiteMatch, consoleSessionID: 0xA0A2_A3A4).encoded() == hx("07 11 00 00 a4a3a2a0"))
        #expect(throws: IPMIDecodingError.self) { try OpenSessionResponse.decode(hx("00")[...]) }
        // ipmi_sim's 60-byte RAKP2 with status 0D and junk, and the short form.
        let junk = try RAKP2.decode((hx("00 0d 0000 a4a3a2a0") + [UInt8](repeating: 0xEE, count: 52))[...])
        #expect(junk.status == .unauthorizedName && junk.authCode.isEmpty)
        #expect(try RAKP2.decode(hx("00 0d")[...]).status == .unauthorizedName)
        #expect(RAKP2(tag: 1, status: .unauthorizedName, consoleSessionID: 0xA0A2_A3A4).encoded() == hx("01 0d 0000 a4a3a2a0"))
        #expect(try RAKP4.decode(hx("00 0f 0000 a4a3a2a0")[...]).status == .invalidIntegrityCheckValue)
    }

    @Test func completionCodeAndStatusDescriptions() {
        #expect(CompletionCode.ok.description == "0x00 (command completed normally)")
        #expect(CompletionCode.invalidCommand.description == "0xc1 (invalid command)")
        #expect(CompletionCode.insufficientPrivilege.description == "0xd4 (insufficient privilege level)")
        #expect(CompletionCode(0xC7).description.contains("request data length invalid"))
        #expect(CompletionCode(0xCF).description.contains("duplicated request"))
        #expect(CompletionCode(0xFF).description.contains("unspecified"))
        #expect(CompletionCode(0x81).description == "0x81 (command-specific error)")
        #expect(CompletionCode(0x10).description.contains("unknown"))
        #expect(CompletionCode(rawValue: 0xD4) == .insufficientPrivilege)
        #expect(RMCPPlusStatus.noErrors.description == "0x00 (no errors)")
        #expect(RMCPPlusStatus(0x01).description.contains("insufficient resources"))
        #expect(RMCPPlusStatus(0x04).description.contains("invalid authentication algorithm"))
        #expect(RMCPPlusStatus(0x0A).description.contains("unauthorized role or privilege"))
        #expect(RMCPPlusStatus(0x0C).description.contains("invalid name length"))
        #expect(RMCPPlusStatus(0x0D).description == "0x0d (unauthorized name)")
        #expect(RMCPPlusStatus(0x0F).description.contains("invalid integrity check value"))
        #expect(RMCPPlusStatus(0x11).description.contains("no cipher suite match"))
        #expect(RMCPPlusStatus(0x12).description.contains("illegal or unrecognized parameter"))
        #expect(RMCPPlusStatus(0x13).description.contains("reserved"))
        #expect(PrivilegeLevel.operator.description == "OPERATOR")
        #expect(PrivilegeLevel(name: "admin") == .administrator && PrivilegeLevel(name: "ADMINISTRATOR") == .administrator)
        #expect(PrivilegeLevel(name: "user") == .user && PrivilegeLevel(name: "root") == nil)
        #expect(PrivilegeLevel.user < .operator && PrivilegeLevel.none < .callback)
        let error = IPMIDecodingError(.badAuthCode, at: 60, "AuthCode does not verify")
        #expect(error.description == "badAuthCode at byte 60: AuthCode does not verify")
        #expect(IPMIDecodingError(.truncated, at: 3).description == "truncated at byte 3")
        #expect(ConsoleError.wrongPassword.description.contains("wrong password"))
        #expect(ConsoleError.unsupportedCipherSuite(17, .invalidAuthenticationAlgorithm).description.contains("cipher suite 17"))
    }

    @Test func hexHelpers() {
        #expect(hexString([0x00, 0xAB, 0x0F]) == "00ab0f")
        #expect(bytes(fromHex: "00 AB 0f") == [0x00, 0xAB, 0x0F])
        #expect(bytes(fromHex: "0") == nil)
        #expect(bytes(fromHex: "zz") == nil)
        #expect(bytes(fromHex: "") == [])
    }
}
