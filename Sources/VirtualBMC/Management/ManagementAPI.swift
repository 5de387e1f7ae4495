import Foundation
import Hummingbird
import Logging
import NIOCore
import VirtualBMCCore

/// The fleet's management HTTP API, on loopback only:
///
///     GET    /bmcs                    list (snapshots: power, boot device, sessions, faults, counters)
///     POST   /bmcs                    add   {name, port, address?, username?, password?, privilege?, power?, cipher_suites?}
///     GET    /bmcs/{name}             show
///     DELETE /bmcs/{name}             delete
///     POST   /bmcs/{name}/start       start answering
///     POST   /bmcs/{name}/stop        stop answering (the socket closes, state is kept)
///     POST   /bmcs/{name}/power-button  press the power button (out-of-band change)
///     PUT    /bmcs/{name}/faults      set faults {packet_loss, latency_ms, jitter_ms, dead, busy, stuck_power, ...}
///
/// Answers are snake_case JSON; faults use the fleet file's key names (`docs/virtualbmc-config.md`).
///     DELETE /bmcs/{name}/faults      clear faults
///     PUT    /faults                  faults on a share of the fleet {share, faults}
///
/// Passwords are accepted when adding a BMC and never returned.
public enum ManagementAPI {
    public static func router(for fleet: Fleet) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("bmcs") { _, _ in try json(fleet.list()) }
        router.post("bmcs") { request, context in
            try await run {
                let body = try await request.decode(as: AddBMCBody.self, context: context)
                let spec = try body.spec()
                try await fleet.add(spec)
                return try json(fleet.show(spec.name), status: .created)
            }
        }
        router.get("bmcs/:name") { _, context in try await run { try json(fleet.show(name(context))) } }
        router.delete("bmcs/:name") { _, context in
            try await run {
                try await fleet.delete(name(context))
                return Response(status: .noContent)
            }
        }
        router.post("bmcs/:name/start") { _, context in
            try await run {
                try await fleet.start(name(context))
                return try json(fleet.show(name(context)))
            }
        }
        router.post("bmcs/:name/stop") { _, context in
            try await run {
                try await fleet.stop(name(context))
                return try json(fleet.show(name(context)))
            }
        }
        router.post("bmcs/:name/power-button") { _, context in
            try await run {
                try fleet.pressPowerButton(name(context))
                return try json(fleet.show(name(context)))
            }
        }
        router.put("bmcs/:name/faults") { request, context in
            try await run {
                let body = try await request.decode(as: BMCSnapshot.Faults.self, context: context)
                try fleet.setFaults(body.spec, on: name(context))
                return try json(fleet.show(name(context)))
            }
        }
        router.delete("bmcs/:name/faults") { _, context in
            try await run {
                try fleet.setFaults(.none, on: name(context))
                return try json(fleet.show(name(context)))
            }
        }
        router.put("faults") { request, context in
            try await run {
                let body = try await request.decode(as: ShareFaultsBody.self, context: context)
                return try json(ChosenBody(names: fleet.setFaults(body.faults.spec, onShare: body.share)))
            }
        }
        return router
    }

    /// Runs the API until cancelled. `onRunning` gets the bound port (useful with port 0).
    public static func serve(_ fleet: Fleet, host: String = "127.0.0.1", port: Int,
                             onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        var logger = Logger(label: "ferrum.bmc.api")
        logger.logLevel = .warning
        let app = Application(
            router: router(for: fleet),
            configuration: .init(address: .hostname(host, port: port), serverName: "ferrum-bmc"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.run()
    }

    private static func name(_ context: BasicRequestContext) throws -> String {
        try context.parameters.require("name")
    }

    private static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }

    /// The one place where fleet errors become HTTP status codes.
    private static func run(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as FleetError {
            let status: HTTPResponse.Status
            switch error {
            case .unknownBMC: status = .notFound
            case .duplicateName, .endpointInUse: status = .conflict
            case .invalid: status = .badRequest
            case .bindFailed: status = .serviceUnavailable
            }
            return try json(ErrorBody(error: error.description), status: status)
        } catch let error as HTTPError {
            throw error
        } catch let error as DecodingError {
            return try json(ErrorBody(error: "invalid JSON body: \(describe(error))"), status: .badRequest)
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
