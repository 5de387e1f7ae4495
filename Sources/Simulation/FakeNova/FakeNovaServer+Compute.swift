import Foundation
import HTTPTypes
import Hummingbird

/// The compute model over wall time: timers as sleeping tasks, Ironic calls over HTTP, answers fed back in.
/// `now` is the time since the server was created.
extension FakeNovaServer {
    var now: Duration { ContinuousClock.now - started }

    /// Runs one input through the model and carries out what it asks for.
    public func compute(_ input: NovaCompute.Input) {
        perform(nova.handleCompute(input, now: now))
    }

    func startCompute() {
        if ironic != nil { compute(.started) }
    }

    func stopCompute() {
        for task in work.values { task.cancel() }
        work = [:]
    }

    func perform(_ actions: [NovaCompute.Action]) {
        for action in actions {
            switch action {
            case .log: continue
            case .startTimer(let token, let after):
                spawn {
                    guard (try? await Task.sleep(for: after)) != nil else { return nil }
                    return .timerFired(token)
                }
            case .listIronicNodes(let id):
                spawn { [ironic] in .ironicNodes(id, await ironic?.listNodes() ?? Self.noIronic()) }
            case .getIronicNode(let id, let instance):
                spawn { [ironic] in .ironicNode(id, await ironic?.node(instance: instance) ?? Self.noIronic()) }
            case .setIronicPowerState(let id, let node, let target, let timeout):
                spawn { [ironic] in
                    .ironicPowerRequested(id, await ironic?.setPower(node: node, target: target, timeout: timeout)
                        ?? Self.noIronic())
                }
            }
        }
    }

    private static func noIronic<T>() -> Result<T, NovaCompute.IronicCallError> {
        .failure(.init(status: nil, message: "no Ironic URL configured (--ironic-url)"))
    }

    /// Runs `body` in its own task; its input, if any, goes back to the model. Cancelled when the server stops.
    private func spawn(_ body: @escaping @Sendable () async -> NovaCompute.Input?) {
        workCount += 1
        let id = workCount
        work[id] = Task {
            let input = await body()
            self.finished(id, input)
        }
    }

    private func finished(_ id: Int, _ input: NovaCompute.Input?) {
        guard work.removeValue(forKey: id) != nil, let input, !Task.isCancelled else { return }
        compute(input)
    }

    func addComputeRoutes(to router: Router<BasicRequestContext>) {
        router.get("v2.1/servers/:id") { request, context in
            let token = request.headers[HTTPField.Name("X-Auth-Token")!]
            let id = context.parameters.get("id") ?? ""
            return try await self.answer { nova, now in nova.admitRead(token: token, now: now) ?? nova.serverJSON(id) }
        }
        router.get("v2.1/servers/:id/os-instance-actions") { request, context in
            let token = request.headers[HTTPField.Name("X-Auth-Token")!]
            let id = context.parameters.get("id") ?? ""
            return try await self.answer { nova, now in nova.admitRead(token: token, now: now) ?? nova.instanceActionsJSON(id) }
        }
        router.post("v2.1/servers/:id/action") { request, context in
            let token = request.headers[HTTPField.Name("X-Auth-Token")!]
            let id = context.parameters.get("id") ?? ""
            let body = try await Self.bytes(request)
            let elapsed = await self.now
            return try await self.answer { nova, now in
                nova.admitRead(token: token, now: now) ?? nova.serverAction(id, body: body, now: elapsed)
            }
        }
        router.post("_fake/sync") { _, _ in
            await self.compute(.runSyncNow)
            return try await self.answer { _, _ in FakeNovaResponse(status: 202, json: [String: Any]()) }
        }
        router.post("_fake/refresh-cache") { _, _ in
            await self.compute(.refreshCacheNow)
            return try await self.answer { _, _ in FakeNovaResponse(status: 202, json: [String: Any]()) }
        }
        router.get("_fake/log") { _, _ in try await self.answer { nova, _ in nova.computeLogJSON() } }
        router.get("_fake/compute") { _, _ in try await self.answer { nova, _ in nova.computeConfigurationJSON() } }
        router.put("_fake/compute") { request, _ in
            let body = try await Self.bytes(request)
            return try await self.configureCompute(body)
        }
    }

    private func configureCompute(_ body: [UInt8]) async throws -> Response {
        switch nova.parseComputeConfiguration(body: body) {
        case .failure(let error):
            return try await answer { _, _ in FakeNovaResponse(status: error.status, json: ["error": error.message]) }
        case .success(let configuration):
            compute(.configure(configuration))
            return try await answer { nova, _ in nova.computeConfigurationJSON() }
        }
    }
}

extension FakeNova {
    /// Outage, then keystonemiddleware's token check, for the servers API (reads and actions).
    public func admitRead(token: String?, now: Date) -> FakeNovaResponse? {
        outageResponse() ?? (isLive(token: token, now: now) ? nil : keystoneUnauthorized())
    }
}
