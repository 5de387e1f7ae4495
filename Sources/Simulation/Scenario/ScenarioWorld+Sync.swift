import ControllerCore
import IPMI

// The periodic power sync and the power failure recovery, as PowerController and NodeActor run them.
extension ScenarioWorld {
    /// The periodic task (PowerController.periodically): runs a pass, or joins the one running; the next run is one
    /// interval after this one fired, or at once when the pass overran, so passes never overlap.
    mutating func periodicSyncPass() {
        periodicSyncWaiting = true
        periodicSyncFiredAt = now
        startSyncPass()
    }

    /// Starts a pass now, or joins the one running (PowerController.syncPass).
    mutating func startSyncPass() {
        guard syncRunner == nil else { return }
        counters.syncPasses += 1
        failureCounts.retain(only: Set(nodes.map(\.id)))
        passCounts = failureCounts
        let plan = PowerSyncPassPlan.sync(nodes: nodes, failureCounts: failureCounts.counts)
        record(.note, "controller", "sync pass: \(plan.order.count) to read, \(plan.skipped.count) skipped")
        syncRunner = PowerSyncPassRunner(plan: plan, failureCounts: failureCounts, concurrencyLimit: options.syncWorkers)
        runnerHandle(.start)
    }

    /// Feeds the pass runner; it is taken out while it works so its tables are never copied (1,000-node passes).
    mutating func runnerHandle(_ event: PowerSyncPassRunner.Event) {
        guard var runner = syncRunner else { return }
        syncRunner = nil
        var pending = runner.handle(event)
        var position = 0
        var completed = false
        while position < pending.count {
            let action = pending[position]
            position += 1
            switch action {
            case .syncNode(let id):
                guard let index = indexByID[id], let immediate = startSyncRead(index) else { continue }
                pending += runner.handle(.nodeFinished(id, immediate))
            case .passComplete(let counts):
                failureCounts = counts
                completed = true
            }
        }
        guard completed else {
            syncRunner = runner
            return
        }
        record(.note, "controller", "sync pass done")
        if periodicSyncWaiting {
            periodicSyncWaiting = false
            scheduler.schedule(.controllerSyncPass, at: max(periodicSyncFiredAt + syncConfiguration.syncPowerStateInterval, now))
        }
    }

    /// NodeActor.sync up to the read: nil when a read went out, the outcome when the node is skipped.
    private mutating func startSyncRead(_ index: Int) -> PowerSyncOutcome?? {
        let node = nodes[index]
        if PowerSync.shouldRead(node) != nil {
            return .some(PowerSync.decide(node: node, reading: .failed(""), failureCount: passCounts[node.id],
                                          configuration: syncConfiguration))
        }
        ipmi(GetChassisStatus.request, .syncRead(generations[index]), node: index)
        return nil
    }

    mutating func syncNodeFinished(_ index: Int, _ outcome: PowerSyncOutcome?) {
        runnerHandle(.nodeFinished(nodes[index].id, outcome))
    }

    /// NodeActor.sync after the read: a reading overtaken by another change is discarded.
    mutating func syncRead(_ reading: PowerReading, seen: UInt64, node index: Int) {
        guard seen == generations[index] else { return syncNodeFinished(index, nil) }
        let node = nodes[index]
        let outcome = PowerSync.decide(node: node, reading: reading, failureCount: passCounts[node.id],
                                       configuration: syncConfiguration)
        switch outcome.decision {
        case .driveHardware(let action):
            record(.note, lane(node: index), "sync: hardware differs from '\(node.powerState?.rawValue ?? "None")'; forcing it back")
            if !requestPowerAction(action, node: index, origin: .sync, syncOutcome: outcome) {
                syncNodeFinished(index, nil)
            }
            return
        case .countFailure(let reason):
            record(.note, lane(node: index), "sync could not read the BMC (\(outcome.failureCount)): \(reason)")
        default:
            var next = node
            let applied = next.applySync(outcome.decision, at: timestamp)
            if case .enterMaintenance(_, let message) = outcome.decision {
                record(.note, lane(node: index), "maintenance (power failure): \(message)")
            }
            if next != node { commit(next, node: index, change: applied.change, novaEvent: applied.novaEvent) }
        }
        syncNodeFinished(index, outcome)
    }

    // MARK: Recovery

    mutating func recoveryPass() {
        let plan = PowerSyncPassPlan.recovery(nodes: nodes)
        for id in plan.order {
            guard let index = indexByID[id] else { continue }
            ipmi(GetChassisStatus.request, .recoveryRead(generations[index]), node: index)
        }
        scheduler.schedule(.recoveryPass, after: options.powerFailureRecoveryInterval)
    }

    mutating func recoveryRead(_ reading: PowerReading, seen: UInt64, node index: Int) {
        guard seen == generations[index] else { return }
        let node = nodes[index]
        guard case .recover(let state) = PowerRecovery.decide(node: node, reading: reading) else { return }
        var next = node
        let applied = next.applyRecovery(state, at: timestamp)
        record(.note, lane(node: index), "power failure recovered: the BMC answers again")
        commit(next, node: index, change: applied.change, novaEvent: applied.novaEvent)
    }
}
