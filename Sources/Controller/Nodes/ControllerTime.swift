import ControllerCore
import Foundation

/// The controller's two notions of time, injected: a `Clock` for waiting (poll intervals, sync periods) and a
/// wall-clock reading for the timestamps it records. Production uses the system's; tests and the simulator pass
/// virtual ones, so the same shells run in virtual time.
public struct ControllerTime: Sendable {
    public let clock: any Clock<Duration>
    public let now: @Sendable () -> Timestamp

    public init(clock: any Clock<Duration>, now: @escaping @Sendable () -> Timestamp) {
        self.clock = clock
        self.now = now
    }

    /// `ContinuousClock` for waits, Unix time for records.
    public static let system = ControllerTime(clock: ContinuousClock()) {
        Timestamp(sinceEpoch: .microseconds(Int64(Date().timeIntervalSince1970 * 1_000_000)))
    }

    func sleep(for duration: Duration) async throws {
        try await clock.sleep(for: duration)
    }
}
