import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// A long-running child process (a server) whose output is collected as it arrives, so a test can wait for a line.
/// Unchecked: `Process` is not marked Sendable, but only its thread-safe members are used after `run()`.
public final class ServerProcess: @unchecked Sendable {
    public let process: Process
    private let output = OutputBuffer()
    private let exited: Task<Int32, Never>

    public init(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        self.process = process
        exited = ExternalTool.exitSignal(of: process)
        pipe.fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    public var text: String { output.text.withLock { $0 } }

    /// A test that ends without stopping its server (an early throw, a `defer` whose task never ran) must not leave
    /// the process behind.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Waits until the output holds a line matching `pattern` (a regex with one capture) and returns the capture.
    public func waitFor(_ pattern: String, timeout: Duration = .seconds(30)) async throws -> String {
        let regex = try Regex(pattern)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let match = text.firstMatch(of: regex) {
                return match.output.count > 1 ? String(match.output[1].substring ?? "") : String(match.output[0].substring ?? "")
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessWaitError(pattern: pattern, output: text)
    }

    /// SIGKILL: the process gets no chance to clean up.
    public func kill9() async -> Int32 {
        kill(process.processIdentifier, SIGKILL)
        return await exited.value
    }

    /// SIGTERM and the exit status (a graceful shutdown exits 0).
    public func terminate() async -> Int32 {
        if process.isRunning { process.terminate() }
        return await exited.value
    }
}

private final class OutputBuffer: Sendable {
    let text = Mutex("")
}

public struct ProcessWaitError: Error, CustomStringConvertible {
    public var pattern: String
    public var output: String
    public var description: String { "no line matching /\(pattern)/ in:\n\(output)" }
}

/// A JSON HTTP call on loopback; returns the status and the decoded body (nil when empty or not JSON). Asks for the
/// newest Ironic API microversion unless `headers` say otherwise.
public func httpJSON(_ method: String, _ url: String, _ body: [String: any Sendable]? = nil,
                     headers: [String: String] = latestVersion) async throws -> (Int, Any?) {
    let (status, decoded, _) = try await httpJSONWithHeaders(method, url, body, headers: headers)
    return (status, decoded)
}

/// A JSON array body, as a JSON Patch document.
public func httpJSON(_ method: String, _ url: String, _ body: [[String: any Sendable]],
                     headers: [String: String] = latestVersion) async throws -> (Int, Any?) {
    let (status, decoded, _) = try await send(method, url, try JSONSerialization.data(withJSONObject: body), headers: headers)
    return (status, decoded)
}

public let latestVersion = ["X-OpenStack-Ironic-API-Version": "latest"]

/// `httpJSON` with the response's headers too (names lowercased).
public func httpJSONWithHeaders(_ method: String, _ url: String, _ body: [String: any Sendable]? = nil,
                                headers: [String: String] = latestVersion) async throws -> (Int, Any?, [String: String]) {
    try await send(method, url, try body.map { try JSONSerialization.data(withJSONObject: $0) }, headers: headers)
}

/// Any bytes as the body, for bad-input tests.
public func httpRaw(_ method: String, _ url: String, _ body: Data?, headers: [String: String] = latestVersion) async throws
    -> (Int, Any?, [String: String])
{
    try await send(method, url, body, headers: headers)
}

private func send(_ method: String, _ url: String, _ body: Data?, headers: [String: String]) async throws
    -> (Int, Any?, [String: String])
{
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.timeoutInterval = 30
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    if let body {
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as? HTTPURLResponse
    var fields: [String: String] = [:]
    for (name, value) in http?.allHeaderFields ?? [:] { fields["\(name)".lowercased()] = "\(value)" }
    return (http?.statusCode ?? 0, data.isEmpty ? nil : try? JSONSerialization.jsonObject(with: data), fields)
}
