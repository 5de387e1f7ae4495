import Dispatch
import Foundation

/// The Nova client's transport when `[nova] cafile` is set: the `curl` program with `--cacert`.
///
/// Why not URLSession: on Linux, swift-corelibs-foundation gives each libcurl handle the system bundle and offers
/// no per-session CA; its `URLSessionCertificateAuthorityInfoFile` variable is read only on Android (EasyHandle.swift,
/// `setCARootBundlePath`), and libcurl ignores `SSL_CERT_FILE` once a CA file is set. So not even a process-wide
/// setting exists. One process per request is cheap at Nova's rate (one batch per window at most).
///
/// Secrets (token, Keystone password) go to curl on standard input as a config file, never on its command line.
struct CurlNovaTransport: NovaHTTPTransport {
    let cafile: String
    let executable: String

    init(cafile: String, executable: String? = nil) {
        self.cafile = cafile
        self.executable = executable ?? Self.locate()
    }

    static func locate() -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let candidates = path.split(separator: ":").map { "\($0)/curl" } + ["/usr/bin/curl", "/usr/local/bin/curl"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/curl"
    }

    func exchange(_ url: URL, method: String, headers: [(String, String)], body: [UInt8]?,
                          timeout: Duration) async throws(NovaTransportError) -> NovaHTTPResponse {
        var config = ""
        func option(_ name: String, _ value: String) { config += "\(name) = \"\(Self.quoted(value))\"\n" }
        option("url", url.absoluteString)
        option("request", method)
        option("cacert", cafile)
        option("max-time", String(format: "%.3f", timeout.seconds))
        option("proto", "=http,https")
        for (name, value) in headers { option("header", "\(name): \(value)") }
        option("header", "Expect:")
        if let body { option("data-raw", String(decoding: body, as: UTF8.self)) }
        config += "silent\nshow-error\ninclude\n"
        let (status, output, errors) = try await run(config)
        guard status == 0 else { throw Self.failure(exitStatus: status, message: errors) }
        guard let response = Self.parse(output) else { throw .transport("curl printed no HTTP response") }
        return response
    }

    private func run(_ config: String) async throws(NovaTransportError) -> (Int32, Data, String) {
        let executable = executable
        let result: Result<(Int32, Data, String), NovaTransportError> = await withCheckedContinuation { continuation in
            // Blocking reads belong off the cooperative pool.
            DispatchQueue.global().async { continuation.resume(returning: Self.runBlocking(executable, config)) }
        }
        return try result.get()
    }

    private static func runBlocking(_ executable: String, _ config: String) -> Result<(Int32, Data, String), NovaTransportError> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // --disable first: a ~/.curlrc (say, with `insecure`) must not change how we talk to Nova.
        process.arguments = ["--disable", "--config", "-"]
        let (input, output, errors) = (Pipe(), Pipe(), Pipe())
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            return .failure(.transport("cannot run \(executable): \(error)"))
        }
        // curl reads its whole config before it starts, so writing first cannot deadlock on a full pipe.
        input.fileHandleForWriting.write(Data(config.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return .success((process.terminationStatus, data, message))
    }

    /// A value inside double quotes in a curl config file.
    static func quoted(_ value: String) -> String {
        var text = ""
        for character in value {
            switch character {
            case "\\": text += "\\\\"
            case "\"": text += "\\\""
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default: text.append(character)
            }
        }
        return text
    }

    /// curl's exit statuses (libcurl-errors(3)).
    static func failure(exitStatus: Int32, message: String) -> NovaTransportError {
        let why = message.trimmingCharacters(in: .whitespacesAndNewlines)
        switch exitStatus {
        case 7: return .connectionRefused
        case 28: return .timeout
        case 35, 51, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91: return .tls(why)
        default: return .transport(why.isEmpty ? "curl exited with \(exitStatus)" : why)
        }
    }

    /// `--include` output: header blocks (1xx ones skipped), then the body.
    static func parse(_ output: Data) -> NovaHTTPResponse? {
        var rest = output[...]
        let separator = Data("\r\n\r\n".utf8)
        while let end = rest.range(of: separator) {
            let head = String(decoding: rest[rest.startIndex..<end.lowerBound], as: UTF8.self)
            rest = rest[end.upperBound...]
            let lines = head.components(separatedBy: "\r\n")
            let parts = lines.first?.split(separator: " ")
            guard let parts, parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else { return nil }
            if (100..<200).contains(status) { continue }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return NovaHTTPResponse(status: status, headers: headers, body: Data(rest))
        }
        return nil
    }
}
