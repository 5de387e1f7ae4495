import ControllerCore

// The race mitigation (`[nova] hold_power_state_until_applied`, NovaPowerStateHold): Nova's own reads of a node see
// the state Nova last agreed with until Nova shows the event applied, looked up about once a second.
extension ScenarioWorld {
    /// What Nova's reads of the node (cache refresh, fresh GETs) return.
    func novaView(node index: Int) -> PowerState? {
        hold.powerStateForNova(nodeID: nodes[index].id, actual: nodes[index].powerState, now: timestamp)
    }

    mutating func holdRecorded(node index: Int, previous: PowerState?, update: NovaPowerUpdate, requestedByNova: Bool) {
        let wasHeld = hold.isHeld(nodeID: nodes[index].id, now: timestamp)
        hold.recorded(nodeID: nodes[index].id, previous: previous, event: update, requestedByNova: requestedByNova)
        if !wasHeld, hold.isHeld(nodeID: nodes[index].id, now: timestamp) {
            record(.note, lane(node: index), "hold: Nova keeps reading '\(previous?.rawValue ?? "None")' until it applies "
                + update.tag.rawValue)
        }
    }

    /// GET /servers/{id} for every held instance, then the bound on how long a hold may last.
    mutating func holdConfirm() {
        for (nodeID, uuid) in hold.heldInstances {
            let view = nova.instances[uuid].map {
                NovaInstanceView(vmState: $0.vmState, powerState: $0.powerState, taskState: $0.taskState)
            }
            if hold.observed(instanceUUID: uuid, view: view, now: timestamp) != nil, let index = indexByID[nodeID] {
                record(.note, lane(node: index), "hold released: Nova shows the event applied")
            }
        }
        for nodeID in hold.expire(now: timestamp) {
            if let index = indexByID[nodeID] { record(.note, lane(node: index), "hold expired: Nova never showed the event") }
        }
        scheduler.schedule(.holdConfirm, after: options.holdConfirmInterval)
    }

    /// Looks a held instance up in Nova before answering Nova's read of its node (`holdConfirmOnNovaRead`).
    mutating func holdConfirmOnRead(_ uuid: String) {
        guard let index = nodeOfInstance[uuid], hold.isHeld(nodeID: nodes[index].id, now: timestamp) else { return }
        let view = nova.instances[uuid].map {
            NovaInstanceView(vmState: $0.vmState, powerState: $0.powerState, taskState: $0.taskState)
        }
        if hold.observed(instanceUUID: uuid, view: view, now: timestamp) != nil {
            record(.note, lane(node: index), "hold released on Nova's read: Nova shows the event applied")
        }
    }
}
