import ControllerCore
import HTTPTypes
import Hummingbird

/// Whether the request being handled is Nova's own (its Ironic driver in nova-compute), for the power-state hold
/// (docs/nova-notifier.md, "Closing the race"). Set by the middlewares below for the handler's duration.
enum NovaCaller {
    @TaskLocal static var isNova = false

    /// nova-compute's keystoneauth session has no `app_name`, so its User-Agent starts with the process name:
    /// `nova-compute keystoneauth1/5.x python-requests/2.x CPython/3.x` (keystoneauth1 `_determine_user_agent`).
    static let userAgentMarker = "nova-compute"

    /// The nodes as this caller may read them: Nova gets the power state it last agreed with while a hold lasts,
    /// after asking Nova whether the hold still has a reason to be.
    static func view(_ nodes: [Node], holds: NovaPowerStateHolds) async -> [Node] {
        guard isNova, holds.isEnabled else { return nodes }
        await holds.confirmBeforeNovaRead(nodeIDs: Set(nodes.map(\.id)))
        return nodes.map { node in
            var shown = node
            shown.powerState = holds.powerStateForNova(nodeID: node.id, actual: node.powerState)
            return shown
        }
    }

    static func view(_ node: Node, holds: NovaPowerStateHolds) async -> Node {
        await view([node], holds: holds)[0]
    }
}

/// `noauth`: anyone may claim to be anything, so the User-Agent is as good as any other mark.
struct NovaUserAgentMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let isNova = request.headers[.userAgent]?.contains(NovaCaller.userAgentMarker) ?? false
        return try await NovaCaller.$isNova.withValue(isNova) { try await next(request, context) }
    }
}
