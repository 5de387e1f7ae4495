import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The fake Nova (and its Keystone) over HTTP, on loopback. A thin shell: every answer comes from `FakeNova`.
///
///     POST /v3/auth/tokens                 Keystone: 201 + X-Subject-Token, catalog with compute → this server
///     GET  /, /v2.1, /v2.1/                version discovery (no auth)
///     POST /v2.1/os-server-external-events needs X-Auth-Token of a live token
///     GET  /_fake/events                   every received event with its code and outcome
///     GET  /_fake/instances, POST /_fake/instances
///     PUT  /_fake/faults                   {latency_ms, fail_next, fail_status, unauthorized_next, outage, revoke_tokens,
///                                          max_body_bytes}
///     GET  /v2.1/servers/{id}[/os-instance-actions], POST /v2.1/servers/{id}/action (os-stop, os-start),
///     POST /_fake/sync, POST /_fake/refresh-cache, GET /_fake/log,
///     GET|PUT /_fake/compute               the compute model (FakeNovaServer+Compute.swift)
public actor FakeNovaServer {
    public internal(set) var nova: FakeNova
    /// Set when nova-compute runs against a real Ironic API (Ferrum's) over wall time.
    let ironic: FakeNovaIronicClient?
    let started = ContinuousClock.now
    var work: [Int: Task<Void, Never>] = [:]
    var workCount = 0

    /// With `ironic`, the compute model runs queued over wall time and starts with the server.
    public init(_ nova: FakeNova = FakeNova(), ironic: FakeNovaIronicClient.Settings? = nil) {
        self.nova = nova
        self.ironic = ironic.map(FakeNovaIronicClient.init)
        if ironic != nil { self.nova.compute.configuration.queued = true }
    }

    /// Direct access for tests and the CLI.
    public func update<T: Sendable>(_ change: @Sendable (inout FakeNova) -> T) -> T { change(&nova) }

    func answer(_ work: @Sendable (inout FakeNova, Date) -> FakeNovaResponse) async throws -> Response {
        let (response, latency) = run(work)
        // Latency is applied outside the actor so one slow answer does not hold up inspection.
        if latency > 0 { try await Task.sleep(for: .milliseconds(latency)) }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        for (name, value) in response.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: .init(code: response.status), headers: headers,
                         body: .init(byteBuffer: ByteBuffer(bytes: response.body)))
    }

    private func run(_ work: @Sendable (inout FakeNova, Date) -> FakeNovaResponse) -> (FakeNovaResponse, Int) {
        let response = work(&nova, Date())
        perform(nova.takeComputeActions())  // e.g. the casts of accepted events in queued mode
        return (response, nova.faults.latencyMilliseconds)
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("v3/auth/tokens") { request, _ in
            let body = try await Self.bytes(request)
            return try await self.answer { nova, now in nova.outageResponse() ?? nova.authenticate(body: body, now: now) }
        }
        for path in ["/", "v2.1"] {  // Hummingbird treats "v2.1/" as "v2.1"
            router.get(RouterPath(path)) { _, _ in try await self.answer { nova, _ in nova.outageResponse() ?? nova.versions() } }
        }
        router.post("v2.1/os-server-external-events") { request, _ in
            let token = request.headers[HTTPField.Name("X-Auth-Token")!]
            let version = request.headers[HTTPField.Name("OpenStack-API-Version")!]
                ?? request.headers[HTTPField.Name("X-OpenStack-Nova-API-Version")!]
            // Over a MiB is refused without buffering; the model refuses anything over 114,688 bytes anyway.
            let body = (try? await Self.bytes(request)) ?? [UInt8](repeating: 0x20, count: FakeNovaSchema.maxBodyBytes + 1)
            return try await self.answer { nova, now in
                if let refused = nova.admitExternalEvents(token: token, now: now) { return refused }
                let (status, answer) = nova.handleExternalEvents(body: body, microversion: version)
                var response = FakeNovaResponse(status: status, json: [:])
                response.body = answer
                let minor = (try? FakeNovaSchema.microversion(version, maxMinor: nova.maxMinor).get()) ?? 1
                response.headers = ["OpenStack-API-Version": "compute 2.\(minor)", "X-OpenStack-Nova-API-Version": "2.\(minor)",
                                    "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version"]
                return response
            }
        }
        router.get("_fake/events") { _, _ in try await self.answer { nova, _ in nova.eventsJSON() } }
        router.get("_fake/instances") { _, _ in try await self.answer { nova, _ in nova.instancesJSON() } }
        router.post("_fake/instances") { request, _ in
            let body = try await Self.bytes(request)
            return try await self.answer { nova, _ in nova.createInstance(body: body) }
        }
        router.put("_fake/faults") { request, _ in
            let body = try await Self.bytes(request)
            return try await self.answer { nova, _ in nova.setFaults(body: body) }
        }
        addComputeRoutes(to: router)
        return router
    }

    static func bytes(_ request: Request) async throws -> [UInt8] {
        var buffer = try await request.body.collect(upTo: 1 << 20)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// Runs until cancelled. `onRunning` gets the bound port (useful with port 0); the catalog then points here.
    /// `logLevel` .critical quiets the shutdown noise of open keep-alive connections (the demo).
    public func serve(host: String = "127.0.0.1", port: Int, logLevel: Logger.Level = .warning,
                      onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        var logger = Logger(label: "ferrum.nova-sim")
        logger.logLevel = logLevel
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "ferrum-nova-sim"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                await self.update { $0.endpoint = "http://\(host):\(bound)" }
                await self.startCompute()
                await onRunning(bound)
            },
            logger: logger)
        do {
            try await app.run()
        } catch {
            stopCompute()
            throw error
        }
        stopCompute()
    }
}
