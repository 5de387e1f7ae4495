import ControllerCore
import Foundation
import Hummingbird
import NIOCore

/// The controller's HTTP API: the part of Ironic's v1 that power management needs (ironic.md §10), so
/// `openstack baremetal`, openstacksdk and nova's ironic driver can drive Ferrum.
///
///     GET  /  and  /v1                          version discovery (public)
///     GET  /health                              liveness, node count, last sync pass, the Nova notifier (public)
///     GET  /v1/nodes[/detail]                   list: fields, detail, limit, marker, sort_key, sort_dir, and the
///                                               filters maintenance, associated, instance_uuid, provision_state,
///                                               driver, fault
///     POST /v1/nodes                            enrol {name?, uuid?, driver: "ipmi", driver_info, instance_uuid?, extra?}
///     GET|PATCH|DELETE /v1/nodes/{uuid or name}
///     GET  /v1/nodes/{id}/states
///     PUT  /v1/nodes/{id}/states/power          {"target": ..., "timeout": seconds?} → 202; 409 when busy
///     PUT  /v1/nodes/{id}/states/provision      {"target": "manage" | "provide"} → 202
///     PUT|DELETE /v1/nodes/{id}/maintenance
///
/// Every response carries the microversion headers (`IronicHeadersMiddleware`); errors use Ironic's body.
public enum NodeAPI {
    /// `nova` is the running notifier, if any: `/health` reports its configuration error.
    /// `novaAPIUsers`: the `http_basic` users whose requests are Nova's; with `noauth`, a User-Agent naming
    /// nova-compute marks them (`NovaCaller`).
    public static func router(for controller: PowerController, authentication: APIAuthentication = .none,
                              nova: NovaNotifier? = nil, novaAPIUsers: [String] = ["nova"]) -> Router<BasicRequestContext> {
        let router = Router()
        MetricsAPI.register(on: router, metrics: controller.metrics)
        router.add(middleware: IronicHeadersMiddleware())
        switch authentication {
        case .httpBasic(let users): router.add(middleware: BasicAuthMiddleware(users: users, novaUsers: Set(novaAPIUsers)))
        case .none: router.add(middleware: NovaUserAgentMiddleware())
        }
        router.get("/") { request, _ in await handle { try json(Discovery.root(baseURL(request))) } }
        router.get("v1") { request, _ in await handle { try json(Discovery.v1(baseURL(request))) } }
        router.get("health") { _, _ in
            await handle {
                let last = await controller.lastPass
                let novaHealth = await NovaHealth(nova)
                // 200 even when Nova refuses us: the controller is alive and power control works; a probe that
                // restarted it would not fix Nova's configuration. "degraded" and the metric are for alerting.
                return try json(HealthBody(status: novaHealth.status == "error" ? "degraded" : "ok",
                                           nodes: await controller.nodeCount,
                                           lastSyncPass: last.map { "\($0.startedAt.iso8601), \($0)" }, nova: novaHealth))
            }
        }
        router.get("v1/nodes") { request, _ in await handle { try await list(request, controller, detail: false) } }
        router.get("v1/nodes/detail") { request, _ in await handle { try await list(request, controller, detail: true) } }
        router.post("v1/nodes") { request, context in await handle { try await create(request, context, controller) } }
        router.get("v1/nodes/:node") { request, context in
            await handle {
                let version = try APIVersion.requested(by: request.headers)
                let node = await NovaCaller.view(try await node(context, controller).node, holds: controller.novaHolds)
                let fields = try request.uri.queryParameters["fields"].map { try NodeFields.parse(String($0), at: version) }
                    ?? NodeFields.all(at: version)
                return try json(NodeFields.render(node, fields: fields, version: version, baseURL: baseURL(request)))
            }
        }
        router.patch("v1/nodes/:node") { request, context in
            await handle {
                let version = try APIVersion.requested(by: request.headers)
                let operations = try NodePatch.operations(from: await jsonBody(request, context).value)
                let id = try await node(context, controller).id
                let now = controller.now()
                let node = try await controller.update(id) { node in
                    // Ironic takes the node's lock to update it: a node held by a power action answers 409.
                    if let target = node.targetPowerState { throw PowerActionRefusal.conflict(nodeID: node.id, inProgress: target) }
                    try NodePatch.apply(operations, to: &node, at: now)
                }
                return try json(NodeFields.render(node, fields: NodeFields.all(at: version), version: version,
                                                  baseURL: baseURL(request)))
            }
        }
        router.delete("v1/nodes/:node") { _, context in
            await handle {
                try await controller.remove(node(context, controller).id)
                return Response(status: .noContent)
            }
        }
        router.get("v1/nodes/:node/states") { request, context in
            await handle {
                let version = try APIVersion.requested(by: request.headers)
                let node = await NovaCaller.view(try await node(context, controller).node, holds: controller.novaHolds)
                var states: [String: Any] = [
                    "power_state": node.powerState?.rawValue ?? NSNull(),
                    "target_power_state": node.targetPowerState?.rawValue ?? NSNull(),
                    "provision_state": NodeFields.render(node, fields: ["provision_state"], version: version,
                                                         baseURL: "")["provision_state"] ?? NSNull(),
                    "target_provision_state": NSNull(), "last_error": node.lastError ?? NSNull(),
                    "console_enabled": false, "provision_updated_at": node.updatedAt?.iso8601 ?? NSNull(),
                ]
                if version.minor >= 12 { states["raid_config"] = [String: Any](); states["target_raid_config"] = [String: Any]() }
                return try json(states)
            }
        }
        router.put("v1/nodes/:node/states/power") { request, context in
            await handle { try await power(request, context, controller) }
        }
        router.put("v1/nodes/:node/states/provision") { request, context in
            await handle {
                let body = try await request.decode(as: ProvisionTargetBody.self, context: context)
                guard let verb = ProvisionVerb(rawValue: body.target) else {
                    throw APIError.badRequest("The requested action \"\(body.target)\" is not supported by Ferrum; "
                        + "use \"manage\" or \"provide\"")
                }
                let id = try await node(context, controller).id
                try await controller.changeProvisionState(verb, on: id)
                return accepted(location: "\(baseURL(request))/v1/nodes/\(id)/states")
            }
        }
        router.put("v1/nodes/:node/maintenance") { request, context in
            await handle {
                // Ironic's clients send no body when no reason is given.
                let bytes = try await request.body.collect(upTo: 64 * 1024)
                let body = bytes.readableBytes == 0 ? MaintenanceBody(reason: nil)
                    : try JSONDecoder().decode(MaintenanceBody.self, from: Data(bytes.readableBytesView))
                try await controller.setMaintenance(true, reason: body.reason, on: node(context, controller).id)
                return Response(status: .accepted)
            }
        }
        router.delete("v1/nodes/:node/maintenance") { _, context in
            await handle {
                try await controller.setMaintenance(false, reason: nil, on: node(context, controller).id)
                return Response(status: .accepted)
            }
        }
        return router
    }

    // MARK: Handlers

    private static func create(_ request: Request, _ context: BasicRequestContext,
                               _ controller: PowerController) async throws -> Response {
        let version = try APIVersion.requested(by: request.headers)
        let raw = try await jsonBody(request, context)
        guard let object = raw.value as? [String: Any] else { throw APIError.badRequest("The body must be a JSON object") }
        let allowed = CreateNodeBody.knownKeys.union(CreateNodeBody.ignoredKeys)
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.badRequest("Additional properties are not allowed ('\(unknown)' was unexpected)")
        }
        let body = try JSONDecoder().decode(CreateNodeBody.self, from: raw.data)
        guard let driver = body.driver else { throw APIError.badRequest("'driver' is a required property") }
        guard driver == "ipmi" else { throw APIError.badRequest("Driver \(driver) could not be found; Ferrum has 'ipmi'") }
        if let name = body.name {
            // A field newer than the requested version is refused, as Ironic's schema does (ironic.md A9).
            guard version.minor >= 5 else { throw APIError(status: .notAcceptable, message: "name needs API version 1.5 or later") }
            try NodeNames.validate(name)
        }
        let id = body.uuid ?? UUID().uuidString.lowercased()
        guard UUID(uuidString: id) != nil else { throw APIError.badRequest("Expected a UUID but received \(id).") }
        if let instance = body.instanceUUID, UUID(uuidString: instance) == nil {
            throw APIError.badRequest("Expected a UUID for instance_uuid but received \(instance).")
        }
        var extra = "{}"
        if let value = object["extra"] {
            guard value is [String: Any] else { throw APIError.badRequest("extra must be a JSON object") }
            extra = String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
        }
        let info = try body.driverInfo.map { try $0.driverInfo() } ?? NodePatch.driverInfo(from: [:])
        // Before 1.11 new nodes started out available (ironic.md A9).
        let node = Node(id: id, name: body.name, driverInfo: info,
                        provisionState: version.minor >= 11 ? .enroll : .available,
                        instanceUUID: body.instanceUUID, extra: extra, createdAt: controller.now())
        let actor = try await controller.enroll(node)
        let base = baseURL(request)
        var headers = HTTPFields()
        headers[.location] = "\(base)/v1/nodes/\(actor.id)"
        return try json(NodeFields.render(await actor.node, fields: NodeFields.all(at: version), version: version,
                                          baseURL: base), status: .created, headers: headers)
    }

    private static func list(_ request: Request, _ controller: PowerController, detail pathDetail: Bool) async throws -> Response {
        let version = try APIVersion.requested(by: request.headers)
        let query = try NodeListQuery(request.uri.queryParameters, version: version, detailPath: pathDetail)
        let page = try query.page(of: await controller.nodes())
        let base = baseURL(request)
        var body: [String: Any] = [
            "nodes": await NovaCaller.view(page.nodes, holds: controller.novaHolds).map {
                NodeFields.render($0, fields: query.fields, version: version, baseURL: base)
            },
        ]
        if let marker = page.nextMarker {
            body["next"] = "\(base)/v1/nodes\(pathDetail ? "/detail" : "")?\(query.nextQuery(marker: marker))"
        }
        return try json(body)
    }

    private static func power(_ request: Request, _ context: BasicRequestContext,
                              _ controller: PowerController) async throws -> Response {
        let version = try APIVersion.requested(by: request.headers)
        let body = try await request.decode(as: PowerTargetBody.self, context: context)
        guard let action = PowerAction(rawValue: body.target) else {
            throw APIError.badRequest("Invalid state '\(body.target)'; use one of "
                + PowerAction.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))
        }
        // Soft targets and timeouts arrived with 1.27 (ironic.md A7).
        if version.minor < 27, action.isSoft || body.timeout != nil {
            throw APIError(status: .notAcceptable, message: "'\(body.target)' and a timeout need API version 1.27 or later")
        }
        if let timeout = body.timeout, timeout <= 0 {
            throw APIError.badRequest("Timeout must be a positive number of seconds, not \(timeout)")
        }
        let id = try await node(context, controller).id
        try await controller.requestPowerAction(action, on: id, timeout: body.timeout.map { .seconds($0) },
                                                requestedByNova: NovaCaller.isNova)
        return accepted(location: "\(baseURL(request))/v1/nodes/\(id)/states")
    }

    // MARK: Helpers

    private static func node(_ context: BasicRequestContext, _ controller: PowerController) async throws -> NodeActor {
        let id = try context.parameters.require("node")
        guard let actor = await controller.actor(for: id) else { throw PowerControllerError.nodeNotFound(id) }
        return actor
    }

    /// What the client called us as, for links and `Location` (Ironic builds them from the request's host too).
    static func baseURL(_ request: Request) -> String {
        "http://" + (request.head.authority ?? "127.0.0.1")
    }

    private static func jsonBody(_ request: Request, _ context: BasicRequestContext) async throws -> (value: Any, data: Data) {
        let bytes = try await request.body.collect(upTo: context.maxUploadSize)
        let data = Data(bytes.readableBytesView)
        guard let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            throw APIError.badRequest("The body is not valid JSON")
        }
        return (value, data)
    }

    private static func accepted(location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .accepted, headers: headers)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return response(try encoder.encode(value), status: status)
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        // Unsorted: on Linux, sorting keys goes through ICU collation and cost most of an enrolment's time.
        response(try JSONSerialization.data(withJSONObject: object), status: status, headers: headers)
    }

    private static func response(_ data: Data, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    private static func handle(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            return APIError.from(error).response
        }
    }
}
