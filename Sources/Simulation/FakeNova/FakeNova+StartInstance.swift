/// `start_instance` (nova.md §2, §3.4), on the shared job of FakeNova+PowerJob.swift: under the lock, the node
/// looked up fresh (`_validate_instance_and_node`), Ironic's `power on`, polling until the target clears, then
/// active/<fresh state>/None with a CAS on powering-on. Any Ironic error reverts task_state to None.
extension FakeNova {
    mutating func startNodeRead(_ id: Int, _ node: NovaCompute.IronicNodeView, phase: NovaCompute.PowerJob.Phase,
                                now: Duration) {
        guard let job = compute.powerJobs[id] else { return }
        if phase == .freshRead {
            return requestPower(id, target: "power on", timeout: nil, phase: .powerOn)
        }
        log(.info, job.uuid, "Successfully powered on Ironic node \(node.uuid)", now: now)
        finishPowerJob(id, vmState: "active", powerState: node.novaPowerState, expected: ["powering-on"], now: now)
    }
}
