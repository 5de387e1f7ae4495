import Foundation
import VirtualBMC
import VirtualBMCCore

/// Starts a fleet on a free block of ports (retrying elsewhere when a port is taken).
public func startFleet(count: Int, seed: UInt64 = 7, configurationPath: String? = nil,
                customize: (inout [BMCSpec]) -> Void = { _ in }) async throws -> (Fleet, [BMCSpec]) {
    var lastError: (any Error)?
    for attempt in 0..<8 {
        let basePort = 20000 + Int.random(in: 0..<(40000 - count)) / 16 * 16 + attempt
        var configuration = try FleetConfiguration.generated(count: count, basePort: basePort, seed: seed)
        customize(&configuration.bmcs)
        do {
            let fleet = try await Fleet.start(configuration, configurationPath: configurationPath)
            return (fleet, configuration.bmcs)
        } catch {
            lastError = error
        }
    }
    throw lastError!
}

/// Runs `body` with a started fleet and always shuts it down.
public func withFleet(count: Int, seed: UInt64 = 7, configurationPath: String? = nil,
               customize: (inout [BMCSpec]) -> Void = { _ in },
               _ body: (Fleet, [BMCSpec]) async throws -> Void) async throws {
    let (fleet, specs) = try await startFleet(count: count, seed: seed, configurationPath: configurationPath, customize: customize)
    do {
        try await body(fleet, specs)
    } catch {
        await fleet.shutdown()
        throw error
    }
    await fleet.shutdown()
}
