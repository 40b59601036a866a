// `JSONValue` is part of the format's API (`param_groups`, `reference`, `scheduler`).
@_exported import LockstepJSON
