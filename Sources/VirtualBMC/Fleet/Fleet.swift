import Foundation
import IPMI
import NIOCore
import NIOPosix
import Synchronization
import VirtualBMCCore

/// Why a fleet operation was refused; the management API maps these to HTTP status codes in one place.
public enum FleetError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownBMC(String)
    case duplicateName(String)
    case endpointInUse(String)
    case invalid(String)
    case bindFailed(String, String)

    public var description: String {
        switch self {
        case .unknownBMC(let name): "no BMC named '\(name)'"
        case .duplicateName(let name): "a BMC named '\(name)' exists already"
        case .endpointInUse(let endpoint): "\(endpoint) is used by another BMC of this fleet"
        case .invalid(let message): message
        case .bindFailed(let endpoint, let reason): "cannot listen on \(endpoint): \(reason)"
        }
    }
}

/// Many virtual BMCs served from one process: one UDP socket per BMC endpoint, all on a shared event loop group.
///
/// NIO cannot choose the source address of a reply, so a single socket bound to the wildcard address could not
/// answer a client that sent to 127.0.1.5 from 127.0.1.5; one socket per endpoint keeps every reply correct.
public final class Fleet: Sendable {
    private let group: any EventLoopGroup
    private let clock = FleetClock()
    private let state: Mutex<State>
    private let configurationPath: String?
    private let ticker: Mutex<RepeatedTask?> = Mutex(nil)

    struct State {
        var configuration: FleetConfiguration
        var endpoints: [String: BMCEndpoint] = [:]
    }

    private init(configuration: FleetConfiguration, configurationPath: String?, group: any EventLoopGroup) {
        self.group = group
        self.configurationPath = configurationPath
        self.state = Mutex(State(configuration: configuration))
    }

    /// Starts every BMC of `configuration`. When `configurationPath` is given, changes made at run time (add,
    /// delete, faults) are written back to it, so a restart restores the fleet as it was.
    public static func start(_ configuration: FleetConfiguration, configurationPath: String? = nil,
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> Fleet {
        let fleet = Fleet(configuration: configuration, configurationPath: configurationPath, group: group)
        let endpoints = configuration.bmcs.map { spec in
            let endpoint = fleet.makeEndpoint(spec)
            fleet.state.withLock { $0.endpoints[spec.name] = endpoint }
            return endpoint
        }
        // Binding one socket costs a round trip to an event loop: thousands are bound a few hundred at a time.
        let failure = await withTaskGroup(of: FleetError?.self) { group -> FleetError? in
            var next = 0
            func bindNext() {
                let endpoint = endpoints[next]
                next += 1
                group.addTask {
                    do {
                        try await endpoint.start(group: fleet.group)
                        return nil
                    } catch {
                        return FleetError.bindFailed("\(endpoint.spec.address):\(endpoint.spec.port)", "\(error)")
                    }
                }
            }
            while next < min(256, endpoints.count) { bindNext() }
            var failure: FleetError?
            for await result in group {
                failure = failure ?? result
                if failure == nil, next < endpoints.count { bindNext() }
            }
            return failure
        }
        if let failure {
            await fleet.shutdown()
            throw failure
        }
        for (spec, endpoint) in zip(configuration.bmcs, endpoints) where spec.port == 0 {
            try fleet.updateSpec(spec.name) { $0.port = endpoint.port }
        }
        let task = group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [weak fleet] _ in
            fleet?.advanceAll()
        }
        fleet.ticker.withLock { $0 = task }
        return fleet
    }

    public var count: Int { state.withLock { $0.endpoints.count } }
    public var seed: UInt64 { state.withLock { $0.configuration.seed } }

    /// Snapshots of every BMC, in configuration order.
    public func list() -> [BMCSnapshot] {
        let endpoints = state.withLock { state in state.configuration.bmcs.compactMap { state.endpoints[$0.name] } }
        return endpoints.map { $0.snapshot() }
    }

    public func show(_ name: String) throws -> BMCSnapshot { try endpoint(name).snapshot() }

    public func isRunning(_ name: String) throws -> Bool { try endpoint(name).isRunning }

    public func add(_ spec: BMCSpec) async throws {
        try validate(spec)
        let endpoint = makeEndpoint(spec)
        try state.withLock { state in
            guard state.endpoints[spec.name] == nil else { throw FleetError.duplicateName(spec.name) }
            guard spec.port == 0 || !state.configuration.bmcs.contains(where: { $0.address == spec.address && $0.port == spec.port }) else {
                throw FleetError.endpointInUse("\(spec.address):\(spec.port)")
            }
            state.endpoints[spec.name] = endpoint
            state.configuration.bmcs.append(spec)
        }
        do {
            try await endpoint.start(group: group)
        } catch {
            state.withLock { state in
                state.endpoints[spec.name] = nil
                state.configuration.bmcs.removeAll { $0.name == spec.name }
            }
            throw FleetError.bindFailed("\(spec.address):\(spec.port)", "\(error)")
        }
        if spec.port == 0 { try updateSpec(spec.name) { $0.port = endpoint.port } }
        try persist()
    }

    public func delete(_ name: String) async throws {
        let endpoint = try state.withLock { state -> BMCEndpoint in
            guard let endpoint = state.endpoints.removeValue(forKey: name) else { throw FleetError.unknownBMC(name) }
            state.configuration.bmcs.removeAll { $0.name == name }
            return endpoint
        }
        await endpoint.stop()
        try persist()
    }

    /// Stops answering (the socket closes); state is kept for `start`.
    public func stop(_ name: String) async throws {
        let endpoint = try endpoint(name)
        await endpoint.stop()
    }

    public func start(_ name: String) async throws {
        let endpoint = try endpoint(name)
        do {
            try await endpoint.start(group: group)
        } catch {
            throw FleetError.bindFailed("\(endpoint.spec.address):\(endpoint.port)", "\(error)")
        }
    }

    /// An out-of-band power change, as a person at the machine would make.
    public func pressPowerButton(_ name: String) throws { try endpoint(name).pressPowerButton() }

    /// Sets the faults of one BMC (`FaultSpec.none` clears them).
    public func setFaults(_ faults: FaultSpec, on name: String) throws {
        try validate(faults)
        try endpoint(name).setFaults(faults)
        try updateSpec(name) { $0.faults = faults }
        try persist()
    }

    /// Sets the faults of a share of the fleet, chosen from the fleet seed so the same share picks the same BMCs.
    /// Returns the names chosen.
    @discardableResult
    public func setFaults(_ faults: FaultSpec, onShare share: Double) throws -> [String] {
        try validate(faults)
        guard (0...1).contains(share) else { throw FleetError.invalid("share must be between 0 and 1, got \(share)") }
        let (names, seed) = state.withLock { state in (state.configuration.bmcs.map(\.name), state.configuration.seed) }
        var generator = SeededGenerator(seed: seed ^ 0x5EED_FA17)
        let chosen = Array(names.shuffled(using: &generator).prefix(Int((Double(names.count) * share).rounded())))
        for name in chosen {
            try endpoint(name).setFaults(faults)
            try updateSpec(name) { $0.faults = faults }
        }
        try persist()
        return chosen
    }

    public func shutdown() async {
        ticker.withLock { task in
            task?.cancel()
            task = nil
        }
        let endpoints = state.withLock { Array($0.endpoints.values) }
        for endpoint in endpoints { await endpoint.stop() }
    }

    // MARK: Internals

    private func makeEndpoint(_ spec: BMCSpec) -> BMCEndpoint {
        // Each BMC draws from its own stream derived from the fleet seed and its name.
        let seed = state.withLock { $0.configuration.seed } ^ BMCSpec.derivedGUID(name: spec.name).prefix(8)
            .reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return BMCEndpoint(spec: spec, seed: seed, clock: clock)
    }

    private func endpoint(_ name: String) throws -> BMCEndpoint {
        guard let endpoint = state.withLock({ $0.endpoints[name] }) else { throw FleetError.unknownBMC(name) }
        return endpoint
    }

    private func updateSpec(_ name: String, _ change: (inout BMCSpec) -> Void) throws {
        try state.withLock { state in
            guard let index = state.configuration.bmcs.firstIndex(where: { $0.name == name }) else { throw FleetError.unknownBMC(name) }
            change(&state.configuration.bmcs[index])
        }
    }

    private func validate(_ spec: BMCSpec) throws {
        // The configuration parser is the one place that knows every rule: run the spec through it.
        var probe = state.withLock { $0.configuration }
        probe.bmcs = [spec]
        do {
            _ = try FleetConfiguration(yaml: probe.yaml())
        } catch {
            // The line numbers would point into the probe text, not into any file the caller knows.
            throw FleetError.invalid(error.message)
        }
    }

    private func validate(_ faults: FaultSpec) throws {
        guard (0...1).contains(faults.packetLoss), (0...1).contains(faults.busy) else {
            throw FleetError.invalid("packet_loss and busy are probabilities between 0 and 1")
        }
        let durations = [faults.latency, faults.jitter, faults.slowSessionSetup, faults.staleStatus ?? .zero]
        guard durations.allSatisfy({ $0 >= .zero && $0 <= .seconds(86_400) }) else {
            throw FleetError.invalid("fault durations are between 0 and one day")
        }
        if let period = faults.flappingPeriod, period <= .zero || period > .seconds(86_400) {
            throw FleetError.invalid("flapping_period_ms must be above 0 and at most one day")
        }
    }

    private func advanceAll() {
        let endpoints = state.withLock { Array($0.endpoints.values) }
        for endpoint in endpoints { endpoint.advance() }
    }

    /// Writes the fleet back to its file: a temporary file renamed over the old one, so a crash never leaves
    /// half a configuration.
    private func persist() throws {
        guard let configurationPath else { return }
        let text = state.withLock { $0.configuration.yaml() }
        let url = URL(fileURLWithPath: configurationPath)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try Data(text.utf8).write(to: temporary)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary.path)
        guard rename(temporary.path, url.path) == 0 else {
            throw FleetError.invalid("cannot replace \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}
