import ArgumentParser
import Controller
import Foundation
import IPMI

struct IPMICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipmi",
        abstract: "Talk to one BMC over IPMI v2.0 (RMCP+) with Ferrum's own client.",
        discussion: """
        Commands: power status|on|off|cycle|reset|soft|diag · bootdev pxe|disk|cdrom|bios|none [persistent] [efi]
                  chassis status · mc info · mc guid · raw NETFN CMD [DATA...]
        """)

    @Option(name: [.customShort("H"), .long], help: "BMC address.") var host: String
    @Option(name: [.customShort("p"), .long], help: "BMC UDP port.") var port = 623
    @Option(name: [.customShort("U"), .long], help: "User name.") var user = "admin"
    @Option(name: [.customShort("P"), .long], help: "Password (or --password-file, or FERRUM_IPMI_PASSWORD).") var password: String?
    @Option(help: "File holding the password.") var passwordFile: String?
    @Option(name: [.customShort("C"), .long], help: "Cipher suite to pin (3 or 17); default: ask the BMC, prefer 17.") var cipherSuite: UInt8?
    @Option(name: [.customShort("L"), .long], help: "Privilege: user, operator or administrator.") var privilege = "administrator"
    @Option(help: "BMC key Kg as hex, if the BMC has one.") var kg: String?
    @Option(help: "Seconds before the first retransmission.") var retransmit: Double = 1
    @Argument(help: "The command, e.g. 'power status'.") var words: [String]

    func run() async throws {
        guard let level = PrivilegeLevel(name: privilege) else { throw ValidationError("unknown privilege '\(privilege)'") }
        let kgBytes = try kg.map { text -> [UInt8] in
            guard let bytes = bytes(fromHex: text), bytes.count <= 20 else { throw ValidationError("--kg takes up to 20 bytes of hex") }
            return bytes
        }
        let command = try ParsedIPMICommand(words)
        let secret = try PasswordSource(literal: password, file: passwordFile, environmentVariable: "FERRUM_IPMI_PASSWORD").resolve()
        let configuration = ConsoleConfiguration(username: user, password: secret, kg: kgBytes, privilege: level,
                                                 cipherSuite: cipherSuite, retransmitInterval: .milliseconds(Int(retransmit * 1000)))
        let session: IPMIClientSession
        do {
            session = try await IPMIClientSession.connect(host: host, port: port, configuration: configuration)
        } catch {
            throw CleanExit.failure("\(host):\(port): \(error)")
        }
        do {
            print(try await command.run(on: session))
            await session.close()
        } catch {
            await session.close()
            throw CleanExit.failure("\(host):\(port): \(error)")
        }
    }
}

/// A failure message for stderr and exit status 1, without a stack of wrapper text.
enum CleanExit {
    static func failure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("ferrum: \(message)\n".utf8))
        return ExitCode.failure
    }
}

/// The words after the options, checked before any packet is sent.
enum ParsedIPMICommand {
    case power(String)
    case bootdev(BootDevice, persistent: Bool, efi: Bool)
    case chassisStatus
    case mcInfo
    case mcGUID
    case raw(IPMIRequest)

    init(_ words: [String]) throws {
        let lowered = words.map { $0.lowercased() }
        switch lowered.first {
        case "power":
            let verbs = ["status", "on", "off", "cycle", "reset", "soft", "diag"]
            guard lowered.count == 2, verbs.contains(lowered[1]) else {
                throw ValidationError("usage: power \(verbs.joined(separator: "|"))")
            }
            self = .power(lowered[1])
        case "bootdev":
            guard lowered.count >= 2, let device = BootDevice(name: lowered[1]) else {
                throw ValidationError("usage: bootdev pxe|disk|cdrom|bios|safe|diag|floppy|none [persistent] [efi]")
            }
            let options = Set(lowered.dropFirst(2))
            guard options.isSubset(of: ["persistent", "efi", "options=persistent", "options=efiboot"]) else {
                throw ValidationError("bootdev options are: persistent, efi")
            }
            self = .bootdev(device, persistent: options.contains("persistent") || options.contains("options=persistent"),
                            efi: options.contains("efi") || options.contains("options=efiboot"))
        case "chassis" where lowered.dropFirst() == ["status"]:
            self = .chassisStatus
        case "mc" where lowered.dropFirst() == ["info"]:
            self = .mcInfo
        case "mc" where lowered.dropFirst() == ["guid"]:
            self = .mcGUID
        case "raw":
            let numbers = try lowered.dropFirst().map { word -> UInt8 in
                let digits = word.hasPrefix("0x") ? String(word.dropFirst(2)) : word
                guard let value = UInt8(digits, radix: 16) else { throw ValidationError("raw takes hex bytes, got '\(word)'") }
                return value
            }
            guard numbers.count >= 2 else { throw ValidationError("usage: raw NETFN CMD [DATA...]") }
            self = .raw(IPMIRequest(netFn: numbers[0], command: numbers[1], data: Array(numbers.dropFirst(2))))
        default:
            throw ValidationError("unknown command '\(words.joined(separator: " "))'; see --help")
        }
    }

    /// Runs the command and returns the line to print (ipmitool's wording where there is one).
    func run(on session: IPMIClientSession) async throws -> String {
        switch self {
        case .power(let verb):
            switch verb {
            case "status": return "Chassis Power is \(try await session.powerIsOn() ? "on" : "off")"
            case "on": try await session.chassisControl(.powerUp); return "Chassis Power Control: Up/On"
            case "off": try await session.chassisControl(.powerDown); return "Chassis Power Control: Down/Off"
            case "cycle": try await session.chassisControl(.powerCycle); return "Chassis Power Control: Cycle"
            case "reset": try await session.chassisControl(.hardReset); return "Chassis Power Control: Reset"
            case "soft": try await session.chassisControl(.softShutdown); return "Chassis Power Control: Soft"
            default: try await session.chassisControl(.pulseDiagnosticInterrupt); return "Chassis Power Control: Diag"
            }
        case .bootdev(let device, let persistent, let efi):
            try await session.setBootDevice(device, persistent: persistent, efi: efi)
            return "Set Boot Device to \(device)" + (persistent ? " (persistent)" : "") + (efi ? " (EFI)" : "")
        case .chassisStatus:
            let status = try await session.chassisStatus()
            return "System Power : \(status.powerOn ? "on" : "off")\nPower Overload : \(status.powerOverload)\n"
                + "Main Power Fault : \(status.powerFault)\nPower Control Fault : \(status.powerControlFault)"
        case .mcInfo:
            let id = try await session.deviceID()
            return "Device ID : \(id.deviceID)\nFirmware Revision : \(id.firmwareMajor).\(hexString([id.firmwareMinor]))\n"
                + "IPMI Version : \(id.ipmiVersion & 0x0F).\(id.ipmiVersion >> 4)\nManufacturer ID : \(id.manufacturerID)\n"
                + "Product ID : \(id.productID)"
        case .mcGUID:
            return "System GUID : \(hexString(try await session.systemGUID()))"
        case .raw(let request):
            let response = try await session.send(request)
            guard response.completionCode == .ok else {
                throw ConsoleError.completionCode(response.completionCode, "raw \(request)")
            }
            return response.data.map { hexString([$0]) }.joined(separator: " ")
        }
    }
}
