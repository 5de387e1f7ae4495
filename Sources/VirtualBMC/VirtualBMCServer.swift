import IPMI
import NIOCore
import NIOPosix
import VirtualBMCCore

/// A fleet of one virtual BMC: the convenient form for the demo, the single-BMC `bmc serve` and tests.
public final class VirtualBMCServer: Sendable {
    public let fleet: Fleet
    public let name: String

    private init(fleet: Fleet, name: String) {
        self.fleet = fleet
        self.name = name
    }

    /// Serves `spec`; port 0 picks a free port (see `port`).
    public static func start(_ spec: BMCSpec, seed: UInt64 = 1,
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> VirtualBMCServer {
        let fleet = try await Fleet.start(FleetConfiguration(seed: seed, management: nil, bmcs: [spec]), group: group)
        return VirtualBMCServer(fleet: fleet, name: spec.name)
    }

    /// Power, boot device, sessions, counters, as of now.
    public var snapshot: BMCSnapshot {
        // The one BMC exists for the server's whole life.
        try! fleet.show(name)
    }

    public var port: Int { snapshot.port }

    /// Changes power out of band, as a person pressing the power button would.
    public func pressPowerButton() { try? fleet.pressPowerButton(name) }

    public func stop() async { await fleet.shutdown() }
}
