import ControllerCore
import Foundation
import Hummingbird
import NIOCore

/// The controller's HTTP API, a subset of Ironic's v1 (issue 5 completes it):
///
///     GET  /health                              liveness, node count, last sync pass
///     GET  /v1/nodes                            list
///     POST /v1/nodes                            enrol {name?, uuid?, driver: "ipmi", driver_info, instance_uuid?}
///     GET  /v1/nodes/{uuid or name}             show
///     GET  /v1/nodes/{id}/states                power and provision state
///     PUT  /v1/nodes/{id}/states/power          {"target": "power on" | "power off" | "rebooting" | "soft power off"
///                                               | "soft rebooting", "timeout": seconds?} → 202, 409 when busy
///     PUT  /v1/nodes/{id}/states/provision      {"target": "manage" | "provide"} → 202
///     PUT  /v1/nodes/{id}/maintenance           {"reason": ...?}
///     DELETE /v1/nodes/{id}/maintenance
///
/// Passwords and BMC keys are accepted and never returned (`******`). Errors use Ironic's `error_message` body.
public enum NodeAPI {
    public static func router(for controller: PowerController) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("health") { _, _ in
            await handle {
                let last = await controller.lastPass
                return try json(HealthBody(status: "ok", nodes: await controller.nodeCount,
                                           lastSyncPass: last.map { "\($0.startedAt.iso8601), \($0)" }))
            }
        }
        router.get("v1/nodes") { _, _ in
            await handle { try json(NodeListBody(nodes: await controller.nodes().map(NodeBody.init))) }
        }
        router.post("v1/nodes") { request, context in
            await handle {
                let body = try await request.decode(as: CreateNodeBody.self, context: context)
                let node = try await controller.enroll(newNode(body, at: controller.now()))
                return try json(NodeBody(await node.node), status: .created)
            }
        }
        router.get("v1/nodes/:node") { _, context in
            await handle { try json(NodeBody(try await node(context, controller).node)) }
        }
        router.get("v1/nodes/:node/states") { _, context in
            await handle {
                let node = try await node(context, controller).node
                return try json(NodeStatesBody(powerState: node.powerState?.rawValue,
                                               targetPowerState: node.targetPowerState?.rawValue,
                                               provisionState: node.provisionState.rawValue, lastError: node.lastError))
            }
        }
        router.put("v1/nodes/:node/states/power") { request, context in
            await handle {
                let body = try await request.decode(as: PowerTargetBody.self, context: context)
                guard let action = PowerAction(rawValue: body.target) else {
                    throw APIError.badRequest("'\(body.target)' is not a valid power state target; use one of "
                        + PowerAction.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))
                }
                if let timeout = body.timeout, timeout <= 0 {
                    throw APIError.badRequest("timeout must be a positive number of seconds, not \(timeout)")
                }
                let id = try await node(context, controller).id
                try await controller.requestPowerAction(action, on: id, timeout: body.timeout.map { .seconds($0) })
                return Response(status: .accepted)
            }
        }
        router.put("v1/nodes/:node/states/provision") { request, context in
            await handle {
                let body = try await request.decode(as: ProvisionTargetBody.self, context: context)
                guard let verb = ProvisionVerb(rawValue: body.target) else {
                    throw APIError.badRequest("provision target '\(body.target)' is not supported; use 'manage' or 'provide'")
                }
                try await controller.changeProvisionState(verb, on: node(context, controller).id)
                return Response(status: .accepted)
            }
        }
        router.put("v1/nodes/:node/maintenance") { request, context in
            await handle {
                // Ironic's client sends no body when no reason is given.
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

    private static func node(_ context: BasicRequestContext, _ controller: PowerController) async throws -> NodeActor {
        let id = try context.parameters.require("node")
        guard let actor = await controller.actor(for: id) else { throw PowerControllerError.nodeNotFound(id) }
        return actor
    }

    private static func newNode(_ body: CreateNodeBody, at now: Timestamp) throws -> Node {
        if let driver = body.driver, driver != "ipmi" {
            throw APIError.badRequest("driver '\(driver)' is not supported; only 'ipmi' is")
        }
        guard let info = body.driverInfo else { throw APIError.badRequest("driver_info is required") }
        if let name = body.name, name.isEmpty || UUID(uuidString: name) != nil {
            throw APIError.badRequest("name '\(name)' is not a valid node name (empty, or a UUID)")
        }
        let id = body.uuid ?? UUID().uuidString.lowercased()
        guard UUID(uuidString: id) != nil else { throw APIError.badRequest("uuid '\(id)' is not a UUID") }
        return Node(id: id, name: body.name, driverInfo: try info.driverInfo(), instanceUUID: body.instanceUUID,
                    createdAt: now)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }

    private static func handle(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            return APIError.from(error).response
        }
    }
}
