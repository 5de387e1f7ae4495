import Foundation
import NIOCore
import NIOPosix

/// Runs an external program (ipmitool, ipmi_sim) for interop tests, with a deadline so a test never hangs.
public struct ToolResult: Sendable {
    public var status: Int32
    public var output: String
}

public enum ExternalTool {
    /// Absolute path of `name` on PATH, or nil.
    public static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin:/usr/sbin:/sbin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin"]
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(30),
                    environment: [String: String]? = nil) async throws -> ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let exited = exitSignal(of: process)
        try process.run()
        let reader = Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            kill(process.processIdentifier, SIGKILL)
        }
        let data = await reader.value
        let status = await exited.value
        watchdog.cancel()
        return ToolResult(status: status, output: String(decoding: data, as: UTF8.self))
    }

    /// Resolves with the exit status. Waiting through the termination handler, not `waitUntilExit`, which spins
    /// a run loop on a thread of the cooperative pool.
    public static func exitSignal(of process: Process) -> Task<Int32, Never> {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { finished in
            continuation.yield(finished.terminationStatus)
            continuation.finish()
        }
        return Task {
            for await status in stream { return status }
            return -1
        }
    }

    /// `swift test` builds the `ferrum` executable next to the test bundle.
    public static var ferrum: String {
        URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent().appendingPathComponent("ferrum").path
    }

    /// A UDP port on 127.0.0.1 that is free right now.
    public static func freeUDPPort() async throws -> Int {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }
}

public struct MissingTool: Error, CustomStringConvertible {
    public var name: String
    public init(name: String) { self.name = name }
    public var description: String { "\(name) is not installed: run scripts/test, which installs it" }
}
