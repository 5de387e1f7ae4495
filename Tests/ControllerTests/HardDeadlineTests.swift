@testable import Controller
import Foundation
import Testing

/// The request deadline that holds even when URLSession does not (seen hanging after a refused TLS handshake).
@Suite struct HardDeadlineTests {
    @Test("work that ends first gives its value or its error")
    func workFirst() async throws {
        let value = try await withHardDeadline(.seconds(5)) { 42 }
        #expect(value == 42)
        await #expect(throws: URLError.self) {
            _ = try await withHardDeadline(.seconds(5)) { () async throws -> Int in throw URLError(.badURL) }
        }
    }

    @Test("work that never ends, even ignoring cancellation, gives nil at the deadline")
    func hungWork() async throws {
        let started = ContinuousClock.now
        let value = try await withHardDeadline(.milliseconds(200)) { () async -> Int in
            // Never resumed: like a URLSession task that neither completes nor honours cancellation.
            await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
            return 1
        }
        #expect(value == nil)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("cancelling the caller ends the wait at once")
    func callerCancelled() async throws {
        let task = Task { try await withHardDeadline(.seconds(60)) { () async -> Int in
            await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
            return 1
        } }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }
}
