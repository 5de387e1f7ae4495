/// `stop_instance` (nova.md §3.4), on the shared job of FakeNova+PowerJob.swift: a fresh read ("already powered
/// off" when the node is not on), Ironic's soft power off with `shutdown_timeout`, a hard power off if the node is
/// still on (or the soft request failed), then stopped/<fresh state>/None with a CAS on powering-off (or None
/// when it was already off).
extension FakeNova {
    mutating func stopNodeRead(_ id: Int, _ node: NovaCompute.IronicNodeView, phase: NovaCompute.PowerJob.Phase,
                               now: Duration) {
        guard let job = compute.powerJobs[id] else { return }
        switch phase {
        case .freshRead:
            if node.novaPowerState != FakeNovaInstance.running {
                log(.info, job.uuid, "Instance is already powered off in the hypervisor when stop is called.", now: now)
                compute.powerJobs[id]?.alreadyOff = true
            }
            requestPower(id, target: "soft power off", timeout: compute.configuration.shutdownTimeout, phase: .softOff)
        case .softOff where node.powerState != "power off":
            log(.info, job.uuid, "Failed to soft power off instance \(job.uuid) with timeout "
                + "\(compute.configuration.shutdownTimeout), trying hard power off.", now: now)
            hardPowerOff(id)
        default:
            log(.info, job.uuid, "Successfully \(phase == .softOff ? "soft " : "")powered off Ironic node \(node.uuid)",
                now: now)
            let expected: [String?] = job.alreadyOff ? ["powering-off", nil] : ["powering-off"]
            finishPowerJob(id, vmState: "stopped", powerState: node.novaPowerState, expected: expected, now: now)
        }
    }

    /// The driver catches any soft power off failure and falls back to a hard power off.
    mutating func softPowerOffFailed(_ id: Int, _ message: String, now: Duration) {
        guard let job = compute.powerJobs[id] else { return }
        log(.warning, job.uuid, "Failed to soft power off instance \(job.uuid) due to \(message)", now: now)
        hardPowerOff(id)
    }

    mutating func hardPowerOff(_ id: Int) {
        requestPower(id, target: "power off", timeout: nil, phase: .hardOff)
    }
}
