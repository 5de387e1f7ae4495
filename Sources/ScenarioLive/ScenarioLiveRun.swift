import Simulation

/// How a live run runs, beyond what the scenario says.
public struct ScenarioLiveOptions: Sendable {
    /// Wall time to wait after the last step; the run waits `min(scenario.settle, settle)`.
    public var settle: Duration
    /// Draws the steps' `jitter` (and seeds the fleet's faults and Nova's lock hand-overs); a live run is not
    /// deterministic all the same.
    public var seed: UInt64
    /// The controller's timings, as the engine takes them (`ScenarioWorldOptions`).
    public var world: ScenarioWorldOptions
    /// Gets one line per step as it runs (progress on a terminal); nil is silent.
    public var progress: (@Sendable (String) -> Void)?

    public init(settle: Duration = .seconds(20), seed: UInt64 = 1, world: ScenarioWorldOptions = .init(),
                progress: (@Sendable (String) -> Void)? = nil) {
        self.settle = settle
        self.seed = seed
        self.world = world
        self.progress = progress
    }
}

/// A live run's outcome: the same result type as the engine's, plus what could not be played live.
public struct ScenarioLiveResult: Sendable {
    /// Trace lines are the steps, notes and violations only (no datagrams); `virtualDuration` is wall time.
    public var run: ScenarioRunResult
    /// Steps, or settings, that have no live counterpart; they were skipped, not failed.
    public var unsupported: [String]

    public var passed: Bool { run.passed }

    /// Whether the run gave what the scenario file expects (every invariant holds, or the named one breaks).
    public func matches(_ expectation: ScenarioExpectation) -> Bool {
        switch expectation {
        case .invariantsHold: run.passed
        case .violates(let invariant): run.violated(invariant)
        }
    }
}

/// Runs a `Scenario` over real UDP and HTTP on 127.0.0.1 in wall time (docs/scenarios.md, "Live mode"): the
/// timeline is played against a VirtualBMC fleet, the controller's API and the fake Nova, then the final states
/// are read from each of them and judged by `ScenarioFinalCheck`, the engine's own end-of-run rules.
public enum ScenarioLiveRun {
    public static func run(_ scenario: Scenario, options: ScenarioLiveOptions = .init()) async throws -> ScenarioLiveResult {
        let stack = try await LiveStack.start(scenario, seed: options.seed, options: options.world)
        let result: ScenarioLiveResult
        do {
            result = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await stack.controller.run() }
                group.addTask { try await stack.notifier.run() }
                if scenario.controller.holdPowerStateUntilApplied { group.addTask { try await stack.confirmer.run() } }
                defer { group.cancelAll() }
                var player = LivePlayer(scenario: scenario, stack: stack, options: options)
                return try await player.play()
            }
        } catch {
            await stack.shutdown()
            throw error
        }
        await stack.shutdown()
        return result
    }
}
