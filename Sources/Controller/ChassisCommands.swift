import IPMI

/// Typed chassis operations over a session; a non-zero completion code becomes `ConsoleError.completionCode`.
extension IPMIClientSession {
    /// Sends a request and requires completion code 00.
    public func run(_ request: IPMIRequest, _ what: String) async throws -> [UInt8] {
        let response = try await send(request)
        guard response.completionCode == .ok else { throw ConsoleError.completionCode(response.completionCode, what) }
        return response.data
    }

    public func chassisStatus() async throws -> GetChassisStatus.Response {
        try GetChassisStatus.Response(data: await run(GetChassisStatus.request, "Get Chassis Status"))
    }

    /// True when the chassis reports power on.
    public func powerIsOn() async throws -> Bool { try await chassisStatus().powerOn }

    public func chassisControl(_ action: ChassisControl) async throws {
        _ = try await run(action.request, "Chassis Control (\(action))")
    }

    public func deviceID() async throws -> GetDeviceID.Response {
        try GetDeviceID.Response(data: await run(GetDeviceID.request, "Get Device ID"))
    }

    public func systemGUID() async throws -> [UInt8] {
        try GetSystemGUID.guid(in: await run(GetSystemGUID.request, "Get System GUID"))
    }

    /// Sets the boot device the way ipmitool does: mark set-in-progress, write boot flags, mark complete.
    /// BMCs without parameter 0 still take the flags, so its failures are ignored.
    public func setBootDevice(_ device: BootDevice, persistent: Bool = false, efi: Bool = false) async throws {
        _ = try? await send(SystemBootOptions.setRequest(parameter: SystemBootOptions.setInProgressParameter, data: [0x01]))
        let flags = BootFlags(device: device, persistent: persistent, efi: efi)
        _ = try await run(SystemBootOptions.setBootFlags(flags), "Set System Boot Options (boot flags)")
        _ = try? await send(SystemBootOptions.setRequest(parameter: SystemBootOptions.setInProgressParameter, data: [0x00]))
    }

    public func bootFlags() async throws -> BootFlags {
        let data = try await run(SystemBootOptions.getRequest(parameter: BootFlags.parameter), "Get System Boot Options")
        return try SystemBootOptions.bootFlags(inGetResponse: data)
    }
}
