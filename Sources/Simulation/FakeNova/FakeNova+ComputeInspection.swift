import Foundation

/// The read-only servers API views (nova.md §2, §6.5) and the `/_fake` endpoints of the compute model.
extension FakeNova {
    /// `GET /v2.1/servers/{id}`: status and the OS-EXT-STS / OS-EXT-SRV-ATTR fields.
    public func serverJSON(_ uuid: String) -> FakeNovaResponse {
        guard let row = instances[uuid] else { return novaFault(404, "Instance \(uuid) could not be found.") }
        return FakeNovaResponse(status: 200, json: ["server": [
            "id": row.uuid, "status": Self.status(row.vmState),
            "OS-EXT-STS:vm_state": row.vmState, "OS-EXT-STS:task_state": row.taskState ?? NSNullValue,
            "OS-EXT-STS:power_state": row.powerState, "OS-EXT-SRV-ATTR:host": row.host ?? NSNullValue,
            "OS-EXT-SRV-ATTR:hypervisor_hostname": row.node ?? NSNullValue,
        ] as [String: Any]])
    }

    /// Nova's `status` for a vm_state; powering-on/off do not change it (ACTIVE while powering off).
    static func status(_ vmState: String) -> String {
        let map = ["active": "ACTIVE", "stopped": "SHUTOFF", "error": "ERROR", "paused": "PAUSED", "building": "BUILD",
                   "suspended": "SUSPENDED", "rescued": "RESCUE", "resized": "VERIFY_RESIZE", "deleted": "DELETED",
                   "soft-delete": "SOFT_DELETED", "shelved": "SHELVED", "shelved_offloaded": "SHELVED_OFFLOADED"]
        return map[vmState] ?? "UNKNOWN"
    }

    /// `GET /v2.1/servers/{id}/os-instance-actions`, newest first as Nova lists them; `origin` is the fake's addition.
    public func instanceActionsJSON(_ uuid: String) -> FakeNovaResponse {
        guard instances[uuid] != nil else { return novaFault(404, "Instance \(uuid) could not be found.") }
        let actions = (instanceActions[uuid] ?? []).reversed().map {
            ["action": $0.action, "instance_uuid": uuid, "request_id": $0.requestID, "origin": $0.origin.rawValue,
             "message": NSNullValue] as [String: Any]
        }
        return FakeNovaResponse(status: 200, json: ["instanceActions": actions])
    }

    /// `GET /_fake/log`: what compute did, oldest first.
    public func computeLogJSON() -> FakeNovaResponse {
        FakeNovaResponse(status: 200, json: ["log": compute.log.map {
            ["at": $0.at.seconds, "level": $0.level.rawValue, "instance": $0.instance ?? NSNullValue, "message": $0.message]
                as [String: Any]
        }])
    }

    /// `PUT /_fake/compute` `{queued, sync_interval, cache_refresh_interval, event_delay, replica_lag, pool_size,
    /// shutdown_timeout}` (seconds; null or negative intervals disable). Returns the new configuration when valid.
    func parseComputeConfiguration(body: [UInt8]) -> Result<NovaCompute.Configuration, FakeNovaResponseError> {
        guard let json = decodeJSON(body) as? [String: Any] else { return .failure(.init(400, "expected a JSON object")) }
        var configuration = compute.configuration
        func interval(_ key: String) -> Duration?? {
            guard json.keys.contains(key) else { return .none }
            guard let seconds = json[key] as? Double else { return .some(nil) }
            return .some(seconds < 0 ? nil : .milliseconds(Int64(seconds * 1000)))
        }
        if let value = json["queued"] as? Bool { configuration.queued = value }
        if let value = interval("sync_interval") { configuration.syncInterval = value }
        if let value = interval("cache_refresh_interval") { configuration.cacheRefreshInterval = value }
        if let value = interval("event_delay") { configuration.eventDelay = value ?? .zero }
        if let value = interval("replica_lag") { configuration.replicaLag = value ?? .zero }
        if let value = json["pool_size"] as? Int, value > 0 { configuration.syncPoolSize = value }
        if let value = json["shutdown_timeout"] as? Int, value >= 0 { configuration.shutdownTimeout = value }
        return .success(configuration)
    }

    public func computeConfigurationJSON() -> FakeNovaResponse {
        let configuration = compute.configuration
        return FakeNovaResponse(status: 200, json: [
            "queued": configuration.queued, "sync_interval": configuration.syncInterval?.seconds ?? NSNullValue,
            "cache_refresh_interval": configuration.cacheRefreshInterval?.seconds ?? NSNullValue,
            "event_delay": configuration.eventDelay.seconds, "replica_lag": configuration.replicaLag.seconds,
            "pool_size": configuration.syncPoolSize, "shutdown_timeout": configuration.shutdownTimeout,
        ] as [String: Any])
    }
}

extension Duration {
    /// Seconds as a Double, for JSON.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
