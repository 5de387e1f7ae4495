import Foundation
import IPMI

/// Packets per second for the receive path of a Get Chassis Status response:
/// Datagram.decode → AuthCode verify → AES-CBC decrypt → LAN response decode.
public enum DecodeBenchmark {
    public struct Case: Sendable {
        public var suite: CipherSuite
        public var packetsPerSecond: Double
        public var packets: Int
    }

    public struct Report: Sendable {
        public var cases: [Case]
        public var machine: String
        public var date: String
        public var configuration: String

        public var markdown: String {
            var lines = [
                "### IPMI decode: Get Chassis Status response, verify + decrypt + parse, one core",
                "",
                "Machine: \(machine). Date: \(date). Build: \(configuration). Target: ≥ 500,000 packets/s.",
                "",
                "| cipher suite | packets/s | µs/packet | packets measured |",
                "|---|---:|---:|---:|",
            ]
            for item in cases {
                lines.append("| \(item.suite.id) | \(Int(item.packetsPerSecond).formatted()) | "
                    + String(format: "%.3f", 1_000_000 / item.packetsPerSecond) + " | \(item.packets.formatted()) |")
            }
            return lines.joined(separator: "\n")
        }
    }

    public static func run(seconds: Double) -> Report {
        let cases = [CipherSuite.suite3, .suite17].map { measure($0, seconds: seconds) }
        #if DEBUG
        let configuration = "debug (numbers not meaningful; use -c release)"
        #else
        let configuration = "release"
        #endif
        return Report(cases: cases, machine: MachineDescription.current, date: ISO8601DateFormatter().string(from: Date()),
                      configuration: configuration)
    }

    static func measure(_ suite: CipherSuite, seconds: Double) -> Case {
        var entropy = SeededGenerator(seed: 17)
        let keys = SessionKeys(sik: entropy.bytes(32), k1: entropy.bytes(32), k2: entropy.bytes(32))
        let crypto = SessionCrypto(suite: suite, keys: keys)
        let request = LANRequest(GetChassisStatus.request, sequence: 6)
        let response = LANResponse(answering: request, with: IPMIResponse(data: GetChassisStatus.Response(powerOn: true).data))
        let packets = (1...64).map { sequence in
            crypto.seal(payloadType: .ipmiMessage, sessionID: 0xA0A2_A3A4, sequence: UInt32(sequence),
                        payload: response.encoded(), iv: entropy.bytes(16))
        }
        var decoded = 0
        var poweredOn = 0
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        while clock.now < deadline {
            for packet in packets {
                guard case .rmcpPlus(let parsed) = try? Datagram.decode(packet),
                      let plain = try? crypto.open(parsed),
                      let message = try? LANResponse.decode(plain) else { fatalError("benchmark packet failed to decode") }
                if message.response.data.first == 1 { poweredOn += 1 }
            }
            decoded += packets.count
        }
        precondition(poweredOn == decoded, "every benchmark packet decodes to power on")
        let elapsed = clock.now - start
        let secondsElapsed = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Case(suite: suite, packetsPerSecond: Double(decoded) / secondsElapsed, packets: decoded)
    }
}

/// "CPU model, N cores, M GiB" read from /proc, for benchmark reports.
public enum MachineDescription {
    public static var current: String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
        return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(String(format: "%.0f", memory)) GiB"
    }
}

/// Keeps docs/benchmarks.md one file with a section per benchmark, each replaced when re-run.
public enum BenchmarkReport {
    public static func replaceSection(named name: String, in path: String, with body: String) throws {
        let begin = "<!-- bench:\(name) -->", end = "<!-- /bench:\(name) -->"
        var text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "# Benchmarks\n\nRecorded by `ferrum bench` (see `Benchmarks/run`).\n"
        let section = "\(begin)\n\(body)\n\(end)"
        if let lower = text.range(of: begin), let upper = text.range(of: end, range: lower.upperBound..<text.endIndex) {
            text.replaceSubrange(lower.lowerBound..<upper.upperBound, with: section)
        } else {
            text += "\n\(section)\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
