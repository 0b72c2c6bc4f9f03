<#
.SYNOPSIS
    netbox-windhcp: PowerShell Universal (v5) REST endpoints for the Windows DHCP Server role.

.DESCRIPTION
    Implements the HTTP contract in psu/contract.json (see psu/CONTRACT.md) under /api/dhcp with the
    DhcpServer module. Deploy it as the endpoints file of the PSU repository
    (<Repository>\.universal\endpoints.ps1); see psu/README.md.

    Design rules this file follows (and tests/psu_script.rs checks):
    - Every endpoint is one New-PSUEndpoint call with a literal -Url and -Method.
    - GET endpoints accept the DHCPReader or DHCPWriter role; every other method needs DHCPWriter.
    - Request data reaches cmdlets only as parameter values (splatted hashtables), never as code:
      there is no Invoke-Expression anywhere.
    - The shared helpers live once, in $DhcpApiHelpers, and are prepended to every endpoint body.
      PSU runs each endpoint in its own runspace, so functions defined at the top of this file
      would not be visible inside the endpoints otherwise.
    - Lists are built with generic lists and always serialised as JSON arrays.
    - Errors are {"error": "..."} with an honest status: 400 bad input, 404 the object does not
      exist, 409 conflict with existing state, 500 Windows failure, 503 DhcpServer unavailable.

    Do not edit the endpoints in the PSU admin console: it rewrites this file and expands the
    helper block into every endpoint. Change this file and redeploy instead.
#>

# Roles as configured in PSU (Security -> Roles). Readers may call GET, writers everything.
$ReaderRoles = @('DHCPReader', 'DHCPWriter')
$WriterRoles = @('DHCPWriter')

# Seconds before PSU aborts one request. Large lease lists: use the paged or grouped reads.
$EndpointTimeout = 120

$DhcpApiHelpers = {
    # ----------------------------------------------------------------------------------------
    # Shared helpers (prepended to every endpoint). Keep this block free of side effects on
    # DHCP data: it only imports the module and defines functions.
    # ----------------------------------------------------------------------------------------
    $ScriptVersion = '1.0.0'
    $ContractVersion = '1.0.0'
    $ErrorActionPreference = 'Stop'
    $InvariantCulture = [System.Globalization.CultureInfo]::InvariantCulture
    $UnlimitedLeaseSeconds = [int64]4294967295
    $MaxBatchItems = 1000
    $MaxNameLength = 255
    $MaxDescriptionLength = 1024

    $DhcpModuleLoaded = $false
    $DhcpModuleError = ''
    try {
        $importArgs = @{ Name = 'DhcpServer'; ErrorAction = 'Stop' }
        if ($PSVersionTable.PSEdition -eq 'Core') {
            $importArgs['SkipEditionCheck'] = $true
        }
        Import-Module @importArgs
        $DhcpModuleLoaded = $true
    }
    catch {
        $DhcpModuleError = [string]$_.Exception.Message
    }

    # Windows DHCP (dhcpsapi) error codes that say something precise about the request.
    $Win32StatusMap = @{
        87    = 400 # ERROR_INVALID_PARAMETER
        1722  = 503 # RPC_S_SERVER_UNAVAILABLE (DHCP service not reachable)
        1753  = 503 # EPT_S_NOT_REGISTERED (DHCP service not running)
        20004 = 409 # ERROR_DHCP_SUBNET_EXITS
        20005 = 404 # ERROR_DHCP_SUBNET_NOT_PRESENT
        20009 = 409 # ERROR_DHCP_OPTION_EXITS
        20010 = 404 # ERROR_DHCP_OPTION_NOT_PRESENT
        20014 = 409 # ERROR_DHCP_CLIENT_EXISTS
        20016 = 400 # ERROR_DHCP_INVALID_DHCP_CLIENT
        20018 = 404 # ERROR_DHCP_NOT_RESERVED_CLIENT
        20019 = 409 # ERROR_DHCP_RESERVED_CLIENT
        20021 = 409 # ERROR_DHCP_IPRANGE_EXITS
        20022 = 409 # ERROR_DHCP_RESERVEDIP_EXITS
        20023 = 400 # ERROR_DHCP_INVALID_RANGE
        20044 = 404 # ERROR_DHCP_CLASS_NOT_FOUND
        20045 = 409 # ERROR_DHCP_CLASS_ALREADY_EXISTS
        20052 = 409 # ERROR_DHCP_SUBNET_EXISTS
        20055 = 409 # ERROR_DHCP_EXEMPTION_EXISTS
        20056 = 404 # ERROR_DHCP_EXEMPTION_NOT_PRESENT
        20113 = 409 # ERROR_DHCP_FO_SCOPE_ALREADY_IN_RELATIONSHIP
        20114 = 409 # ERROR_DHCP_FO_RELATIONSHIP_EXISTS
        20115 = 404 # ERROR_DHCP_FO_RELATIONSHIP_DOES_NOT_EXIST
        20116 = 409 # ERROR_DHCP_FO_SCOPE_NOT_IN_RELATIONSHIP
    }

    # ---------------------------------------------------------------- responses and errors

    function New-ApiException {
        # An exception that carries the HTTP status it should be answered with.
        param([int]$Status, [string]$Message)
        $exception = [System.InvalidOperationException]::new($Message)
        $exception.Data['HttpStatus'] = $Status
        return $exception
    }

    function Send-Json {
        param([int]$Status = 200, $Data)
        $json = ConvertTo-Json -InputObject $Data -Depth 10 -Compress
        New-PSUApiResponse -StatusCode $Status -Body $json -ContentType 'application/json; charset=utf-8'
    }

    function Send-NoContent {
        New-PSUApiResponse -StatusCode 204
    }

    function Send-Error {
        param([int]$Status, [string]$Message)
        Send-Json -Status $Status -Data ([ordered]@{ error = $Message })
    }

    function Get-Win32ErrorCode {
        # The Windows error code of a DhcpServer cmdlet failure, or $null.
        param($ErrorRecord)
        $qualifiedId = [string]$ErrorRecord.FullyQualifiedErrorId
        if ($qualifiedId -match 'WIN32 (\d+)') {
            return [int64]$Matches[1]
        }
        $exception = $ErrorRecord.Exception
        if ($null -ne $exception -and $null -ne $exception.PSObject.Properties['ErrorData']) {
            $errorData = $exception.ErrorData
            if ($null -ne $errorData -and $null -ne $errorData.CimInstanceProperties) {
                $codeProperty = $errorData.CimInstanceProperties['error_Code']
                if ($null -ne $codeProperty -and $null -ne $codeProperty.Value) {
                    return [int64]$codeProperty.Value
                }
            }
        }
        return $null
    }

    function Resolve-ApiError {
        # Maps an error record to @{ Status; Message; Windows }.
        param($ErrorRecord)
        $exception = $ErrorRecord.Exception
        if ($null -ne $exception -and $exception.Data.Contains('HttpStatus')) {
            return @{ Status = [int]$exception.Data['HttpStatus']; Message = $exception.Message; Windows = $false }
        }
        $code = Get-Win32ErrorCode $ErrorRecord
        $status = 500
        if ($null -ne $code -and $Win32StatusMap.ContainsKey([int]$code)) {
            $status = $Win32StatusMap[[int]$code]
        }
        elseif ([string]$ErrorRecord.CategoryInfo.Category -eq 'ObjectNotFound') {
            $status = 404
        }
        elseif ([string]$ErrorRecord.CategoryInfo.Category -eq 'ResourceExists') {
            $status = 409
        }
        $message = [string]$exception.Message
        if ($null -ne $code) {
            $message = '{0} (WIN32 {1})' -f $message, $code
        }
        return @{ Status = $status; Message = $message; Windows = $true }
    }

    function Send-Failure {
        # Answers an error record with its mapped status; Windows failures name the action.
        # -NoNotFound: for whole-server reads, where nothing was addressed by the caller, a
        # 'not found' means a scope vanished mid-read: answer a retryable 500 instead of 404.
        param($ErrorRecord, [string]$Action, [switch]$NoNotFound)
        $resolved = Resolve-ApiError $ErrorRecord
        $message = $resolved.Message
        if ($resolved.Windows) {
            $message = '{0} failed: {1}' -f $Action, $resolved.Message
        }
        if ($NoNotFound -and $resolved.Status -eq 404) {
            $resolved.Status = 500
            $message = '{0} failed: the server changed during the read ({1}); retry.' -f $Action, $resolved.Message
        }
        if ($resolved.Status -ge 500) {
            Write-Warning $message
        }
        Send-Error -Status $resolved.Status -Message $message
    }

    function Assert-DhcpModule {
        if (-not $DhcpModuleLoaded) {
            throw (New-ApiException 503 ('DhcpServer module unavailable: {0}' -f $DhcpModuleError))
        }
    }

    # ---------------------------------------------------------------- input validation

    function Read-JsonBody {
        # Parses $Body; an empty body is an empty object. Non-objects are refused.
        param($RawBody, [switch]$AllowEmpty)
        if ($null -eq $RawBody -or [string]::IsNullOrWhiteSpace([string]$RawBody)) {
            if ($AllowEmpty) {
                return [pscustomobject]@{}
            }
            throw (New-ApiException 400 'A JSON object body is required.')
        }
        if (-not ([string]$RawBody).TrimStart().StartsWith('{')) {
            throw (New-ApiException 400 'Body must be a JSON object.')
        }
        try {
            $parsed = ConvertFrom-Json -InputObject ([string]$RawBody)
        }
        catch {
            throw (New-ApiException 400 'Body is not valid JSON.')
        }
        if ($parsed -isnot [System.Management.Automation.PSCustomObject]) {
            throw (New-ApiException 400 'Body must be a JSON object.')
        }
        return $parsed
    }

    function Test-Field {
        param($Object, [string]$Name)
        return ($null -ne $Object -and $null -ne $Object.PSObject.Properties[$Name])
    }

    function Get-Field {
        # The value of a body field, or $null. Arrays come back whole (the leading comma stops
        # PowerShell from unrolling them), so a one-element JSON array stays an array.
        param($Object, [string]$Name)
        if (Test-Field $Object $Name) {
            $value = $Object.PSObject.Properties[$Name].Value
            return , $value
        }
        return $null
    }

    function ConvertTo-IPv4String {
        # Validates a dotted-quad IPv4 address and returns its canonical text.
        param($Value, [string]$Field)
        if ($null -eq $Value -or ($Value -is [string] -and [string]::IsNullOrWhiteSpace($Value))) {
            throw (New-ApiException 400 ("'{0}' is required." -f $Field))
        }
        $text = ([string]$Value).Trim()
        $parsed = $null
        $valid = ($Value -is [string]) -and ($text -match '^\d{1,3}(\.\d{1,3}){3}$') -and
            [System.Net.IPAddress]::TryParse($text, [ref]$parsed) -and
            ($parsed.AddressFamily -eq [System.Net.Sockets.AddressFamily]::InterNetwork)
        if (-not $valid) {
            throw (New-ApiException 400 ("'{0}' must be a valid IPv4 address." -f $Field))
        }
        return $parsed.ToString()
    }

    function ConvertTo-IPv4Number {
        param([string]$Address)
        $bytes = ([System.Net.IPAddress]::Parse($Address)).GetAddressBytes()
        return ([int64]$bytes[0] * 16777216) + ([int64]$bytes[1] * 65536) + ([int64]$bytes[2] * 256) + [int64]$bytes[3]
    }

    function Test-ContiguousMask {
        param([string]$Mask)
        $value = ConvertTo-IPv4Number $Mask
        if ($value -eq 0) {
            return $false
        }
        $inverted = [int64]4294967295 - $value
        return ((($inverted + 1) -band $inverted) -eq 0)
    }

    function ConvertTo-BoolParameter {
        # Query-string booleans: true/false, 1/0, yes/no, on/off (any case); absent = default.
        param($Value, [string]$Field, [bool]$Default)
        if ($null -eq $Value -or [string]::IsNullOrWhiteSpace([string]$Value)) {
            return $Default
        }
        switch (([string]$Value).Trim().ToLowerInvariant()) {
            'true' { return $true }
            '1' { return $true }
            'yes' { return $true }
            'on' { return $true }
            'false' { return $false }
            '0' { return $false }
            'no' { return $false }
            'off' { return $false }
        }
        throw (New-ApiException 400 ("'{0}' must be true or false." -f $Field))
    }

    function ConvertTo-IntegerValue {
        # Whole numbers from JSON numbers or digit strings, inside [Minimum, Maximum].
        param($Value, [string]$Field, [int64]$Minimum, [int64]$Maximum)
        $number = $null
        if ($Value -is [int] -or $Value -is [long] -or $Value -is [decimal] -or $Value -is [double]) {
            if ([math]::Floor([double]$Value) -ne [double]$Value) {
                throw (New-ApiException 400 ("'{0}' must be a whole number." -f $Field))
            }
            $number = [int64][double]$Value
        }
        elseif ($Value -is [string] -and $Value.Trim() -match '^-?\d{1,19}$') {
            $parsedNumber = [int64]0
            if (-not [int64]::TryParse($Value.Trim(), [System.Globalization.NumberStyles]::Integer, $InvariantCulture, [ref]$parsedNumber)) {
                throw (New-ApiException 400 ("'{0}' must be a whole number." -f $Field))
            }
            $number = $parsedNumber
        }
        else {
            throw (New-ApiException 400 ("'{0}' must be a whole number." -f $Field))
        }
        if ($number -lt $Minimum -or $number -gt $Maximum) {
            throw (New-ApiException 400 ("'{0}' must be between {1} and {2}." -f $Field, $Minimum, $Maximum))
        }
        return $number
    }

    function ConvertTo-TextValue {
        param($Value, [string]$Field, [int]$MaxLength)
        if ($null -eq $Value) {
            return ''
        }
        if ($Value -isnot [string]) {
            throw (New-ApiException 400 ("'{0}' must be a string." -f $Field))
        }
        if ($Value.Length -gt $MaxLength) {
            throw (New-ApiException 400 ("'{0}' is longer than {1} characters." -f $Field, $MaxLength))
        }
        return $Value
    }

    function ConvertTo-EnumValue {
        # Case-insensitive choice; returns the canonical spelling.
        param($Value, [string]$Field, [string[]]$Allowed)
        if ($Value -is [string]) {
            foreach ($candidate in $Allowed) {
                if ($candidate -eq $Value.Trim()) {
                    return $candidate
                }
            }
        }
        throw (New-ApiException 400 ("'{0}' must be one of: {1}." -f $Field, ($Allowed -join ', ')))
    }

    function ConvertTo-ClientId {
        # Any common MAC / client-id notation -> 'aa-bb-cc-..'. Refuses anything else.
        param($Value, [string]$Field = 'client_id')
        if ($Value -isnot [string] -or [string]::IsNullOrWhiteSpace($Value)) {
            throw (New-ApiException 400 ("'{0}' is required." -f $Field))
        }
        $hex = $Value.Trim().ToLowerInvariant() -replace '[\s:\.\-]', ''
        if ($hex.Length -lt 2 -or $hex.Length -gt 510 -or ($hex.Length % 2) -ne 0 -or $hex -notmatch '^[0-9a-f]+$') {
            throw (New-ApiException 400 ("'{0}' must be hex bytes such as aa-bb-cc-dd-ee-ff." -f $Field))
        }
        $pairs = [System.Collections.Generic.List[string]]::new()
        for ($index = 0; $index -lt $hex.Length; $index += 2) {
            $pairs.Add($hex.Substring($index, 2))
        }
        return ($pairs -join '-')
    }

    function Format-ClientId {
        # Windows ClientId -> canonical form; an unusual id is passed through lower-cased.
        param($Value)
        $text = [string]$Value
        try {
            return ConvertTo-ClientId $text
        }
        catch {
            return $text.ToLowerInvariant()
        }
    }

    function Get-ScopeIdParameter {
        # A route or query scope_id, validated.
        param($Value, [string]$Field = 'scope_id')
        return ConvertTo-IPv4String $Value $Field
    }

    # ---------------------------------------------------------------- output shaping

    function Format-UtcDate {
        param($Value)
        if ($null -eq $Value) {
            return $null
        }
        $date = [datetime]$Value
        if ($date -eq [datetime]::MinValue -or $date -eq [datetime]::MaxValue) {
            return $null
        }
        return $date.ToUniversalTime().ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", $InvariantCulture)
    }

    function ConvertTo-Seconds {
        # TimeSpan -> whole seconds; anything at or beyond 0xFFFFFFFF is 'Unlimited'.
        param($Span)
        if ($null -eq $Span) {
            return $null
        }
        $seconds = [math]::Floor(([timespan]$Span).TotalSeconds)
        if ($seconds -ge $UnlimitedLeaseSeconds) {
            return $UnlimitedLeaseSeconds
        }
        if ($seconds -lt 0) {
            return [int64]0
        }
        return [int64]$seconds
    }

    function ConvertTo-LeaseTimeSpan {
        param([int64]$Seconds)
        return [timespan]::FromSeconds([double]$Seconds)
    }

    function ConvertTo-ApiScope {
        param($Scope, [bool]$IncludeRouter, $Router, $FailoverName)
        $shaped = [ordered]@{
            scope_id               = [string]$Scope.ScopeId
            name                   = [string]$Scope.Name
            start_ip               = [string]$Scope.StartRange
            end_ip                 = [string]$Scope.EndRange
            subnet_mask            = [string]$Scope.SubnetMask
            description            = [string]$Scope.Description
            state                  = [string]$Scope.State
            lease_duration_seconds = ConvertTo-Seconds $Scope.LeaseDuration
        }
        if ($IncludeRouter) {
            $shaped['router'] = $Router
        }
        $shaped['failover_name'] = $FailoverName
        return $shaped
    }

    function ConvertTo-ApiLease {
        param($Lease)
        return [ordered]@{
            ip_address    = [string]$Lease.IPAddress
            scope_id      = [string]$Lease.ScopeId
            client_id     = Format-ClientId $Lease.ClientId
            hostname      = [string]$Lease.HostName
            address_state = [string]$Lease.AddressState
            lease_expiry  = Format-UtcDate $Lease.LeaseExpiryTime
        }
    }

    function ConvertTo-ApiReservation {
        param($Reservation)
        return [ordered]@{
            ip_address  = [string]$Reservation.IPAddress
            scope_id    = [string]$Reservation.ScopeId
            client_id   = Format-ClientId $Reservation.ClientId
            name        = [string]$Reservation.Name
            description = [string]$Reservation.Description
            type        = [string]$Reservation.Type
        }
    }

    function ConvertTo-ApiExclusion {
        param($ScopeId, $StartIp, $EndIp)
        return [ordered]@{
            scope_id = [string]$ScopeId
            start_ip = [string]$StartIp
            end_ip   = [string]$EndIp
        }
    }

    function ConvertTo-NullableText {
        param($Value)
        $text = [string]$Value
        if ([string]::IsNullOrEmpty($text)) {
            return $null
        }
        return $text
    }

    function ConvertTo-ApiOption {
        param($Option)
        $values = [System.Collections.Generic.List[string]]::new()
        foreach ($item in @($Option.Value)) {
            if ($null -ne $item) {
                $values.Add([string]$item)
            }
        }
        return [ordered]@{
            code         = [int]$Option.OptionId
            name         = [string]$Option.Name
            type         = [string]$Option.Type
            value        = $values.ToArray()
            vendor_class = ConvertTo-NullableText $Option.VendorClass
            user_class   = ConvertTo-NullableText $Option.UserClass
        }
    }

    function Get-ServerFqdn {
        try {
            return [System.Net.Dns]::GetHostEntry([System.Net.Dns]::GetHostName()).HostName
        }
        catch {
            return [string]$env:COMPUTERNAME
        }
    }

    function ConvertTo-ApiFailover {
        param($Failover, [string]$ServerName)
        $scopeIds = [System.Collections.Generic.List[string]]::new()
        foreach ($scopeId in @($Failover.ScopeId)) {
            if ($null -ne $scopeId) {
                $scopeIds.Add([string]$scopeId)
            }
        }
        $mode = [string]$Failover.Mode
        $autoTransition = [bool]$Failover.AutoStateTransition
        $switchInterval = $null
        if ($autoTransition) {
            $switchInterval = ConvertTo-Seconds $Failover.StateSwitchInterval
        }
        $loadBalance = $null
        $reserve = $null
        $role = $null
        if ($mode -eq 'LoadBalance') {
            $loadBalance = [int]$Failover.LoadBalancePercent
        }
        else {
            $reserve = [int]$Failover.ReservePercent
            $role = ConvertTo-NullableText $Failover.ServerRole
        }
        return [ordered]@{
            name                      = [string]$Failover.Name
            primary_server            = $ServerName
            secondary_server          = [string]$Failover.PartnerServer
            partner_server            = [string]$Failover.PartnerServer
            mode                      = $mode
            scope_ids                 = $scopeIds.ToArray()
            max_client_lead_time      = ConvertTo-Seconds $Failover.MaxClientLeadTime
            max_response_delay        = 0
            state_switchover_interval = $switchInterval
            enable_auth               = [bool]$Failover.EnableAuth
            load_balance_percent      = $loadBalance
            reserve_percent           = $reserve
            server_role               = $role
            auto_state_transition     = $autoTransition
            state                     = ConvertTo-NullableText $Failover.State
        }
    }

    # ---------------------------------------------------------------- DHCP reads

    function Get-AllScopes {
        # Every scope, ordered numerically by scope id.
        $scopes = [System.Collections.Generic.List[object]]::new()
        foreach ($scope in @(Get-DhcpServerv4Scope -ErrorAction Stop)) {
            if ($null -ne $scope) {
                $scopes.Add($scope)
            }
        }
        $ordered = [System.Collections.Generic.List[object]]::new()
        foreach ($scope in ($scopes | Sort-Object -Property @{ Expression = { ConvertTo-IPv4Number ([string]$_.ScopeId) } })) {
            $ordered.Add($scope)
        }
        return , $ordered
    }

    function Get-ScopeOrFail {
        # The scope, or a 404 when it truly does not exist.
        param([string]$ScopeId)
        try {
            $scope = Get-DhcpServerv4Scope -ScopeId $ScopeId -ErrorAction Stop
        }
        catch {
            $resolved = Resolve-ApiError $_
            if ($resolved.Status -eq 404) {
                throw (New-ApiException 404 ('Scope {0} not found.' -f $ScopeId))
            }
            throw
        }
        if ($null -eq $scope) {
            throw (New-ApiException 404 ('Scope {0} not found.' -f $ScopeId))
        }
        return $scope
    }

    function Test-ScopeExists {
        param([string]$ScopeId)
        try {
            $null = Get-ScopeOrFail $ScopeId
            return $true
        }
        catch {
            $resolved = Resolve-ApiError $_
            if ($resolved.Status -eq 404) {
                return $false
            }
            throw
        }
    }

    function Get-FailoverRelationships {
        # Every relationship; none configured is an empty list, not an error.
        $relationships = [System.Collections.Generic.List[object]]::new()
        try {
            $found = Get-DhcpServerv4Failover -ErrorAction Stop
        }
        catch {
            $resolved = Resolve-ApiError $_
            if ($resolved.Status -eq 404 -or [string]$_.Exception.Message -match 'No DHCP failover relationship') {
                return , $relationships
            }
            throw
        }
        foreach ($relationship in @($found)) {
            if ($null -ne $relationship) {
                $relationships.Add($relationship)
            }
        }
        return , $relationships
    }

    function Get-FailoverByName {
        # The relationship named $Name, or $null.
        param([string]$Name)
        foreach ($relationship in (Get-FailoverRelationships)) {
            if ([string]$relationship.Name -eq $Name) {
                return $relationship
            }
        }
        return $null
    }

    function Get-FailoverNameMap {
        # scope id -> relationship name.
        $map = @{}
        foreach ($relationship in (Get-FailoverRelationships)) {
            foreach ($scopeId in @($relationship.ScopeId)) {
                if ($null -ne $scopeId) {
                    $map[[string]$scopeId] = [string]$relationship.Name
                }
            }
        }
        return $map
    }

    function Get-ScopeRouter {
        # First value of option 3 (standard class) or $null.
        param([string]$ScopeId)
        try {
            $option = Get-DhcpServerv4OptionValue -ScopeId $ScopeId -OptionId 3 -ErrorAction Stop
        }
        catch {
            $resolved = Resolve-ApiError $_
            if ($resolved.Status -eq 404) {
                return $null
            }
            throw
        }
        foreach ($candidate in @($option)) {
            if ($null -ne $candidate -and [string]::IsNullOrEmpty([string]$candidate.VendorClass)) {
                foreach ($value in @($candidate.Value)) {
                    if (-not [string]::IsNullOrEmpty([string]$value)) {
                        return [string]$value
                    }
                }
            }
        }
        return $null
    }

    function Get-ScopeLeases {
        # Leases of one scope, ordered by address. Default: Active and ActiveReservation only.
        param([string]$ScopeId, [bool]$AllStates)
        $leaseArgs = @{ ScopeId = $ScopeId; ErrorAction = 'Stop' }
        if ($AllStates) {
            $leaseArgs['AllLeases'] = $true
        }
        $selected = [System.Collections.Generic.List[object]]::new()
        foreach ($lease in @(Get-DhcpServerv4Lease @leaseArgs)) {
            if ($null -eq $lease) {
                continue
            }
            $state = [string]$lease.AddressState
            if (-not $AllStates -and $state -ne 'Active' -and $state -ne 'ActiveReservation') {
                continue
            }
            $selected.Add($lease)
        }
        $ordered = [System.Collections.Generic.List[object]]::new()
        foreach ($lease in ($selected | Sort-Object -Property @{ Expression = { ConvertTo-IPv4Number ([string]$_.IPAddress) } })) {
            $ordered.Add($lease)
        }
        return , $ordered
    }

    function Get-ScopeReservations {
        param([string]$ScopeId)
        $found = [System.Collections.Generic.List[object]]::new()
        foreach ($reservation in @(Get-DhcpServerv4Reservation -ScopeId $ScopeId -ErrorAction Stop)) {
            if ($null -ne $reservation) {
                $found.Add($reservation)
            }
        }
        return , $found
    }

    function Get-ScopeExclusions {
        param([string]$ScopeId)
        $found = [System.Collections.Generic.List[object]]::new()
        foreach ($exclusion in @(Get-DhcpServerv4ExclusionRange -ScopeId $ScopeId -ErrorAction Stop)) {
            if ($null -ne $exclusion) {
                $found.Add($exclusion)
            }
        }
        return , $found
    }

    function Get-ScopeOptions {
        param([string]$ScopeId)
        $found = [System.Collections.Generic.List[object]]::new()
        foreach ($option in @(Get-DhcpServerv4OptionValue -ScopeId $ScopeId -All -ErrorAction Stop)) {
            if ($null -ne $option) {
                $found.Add((ConvertTo-ApiOption $option))
            }
        }
        return , $found
    }

    function Assert-InScopeRange {
        # 400 unless $Address lies inside the scope's distribution range.
        param($Scope, [string]$Address, [string]$Field)
        $value = ConvertTo-IPv4Number $Address
        $low = ConvertTo-IPv4Number ([string]$Scope.StartRange)
        $high = ConvertTo-IPv4Number ([string]$Scope.EndRange)
        if ($value -lt $low -or $value -gt $high) {
            throw (New-ApiException 400 ("'{0}' {1} is outside the range {2}-{3} of scope {4}." -f $Field, $Address, $Scope.StartRange, $Scope.EndRange, $Scope.ScopeId))
        }
    }

    # ---------------------------------------------------------------- option writes

    function ConvertTo-OptionValues {
        # An option's value list as strings; 400 when empty or not made of strings/numbers.
        param([int64]$Code, $Values)
        $text = [System.Collections.Generic.List[string]]::new()
        foreach ($item in @($Values)) {
            if ($null -eq $item -or ($item -isnot [string] -and $item -isnot [int] -and $item -isnot [long] -and $item -isnot [double] -and $item -isnot [decimal])) {
                throw (New-ApiException 400 ("Option {0}: every value must be a string." -f $Code))
            }
            $text.Add([string]$item)
        }
        if ($text.Count -eq 0) {
            throw (New-ApiException 400 ("Option {0}: 'value' must be a non-empty array." -f $Code))
        }
        return , $text.ToArray()
    }

    function Set-ScopeOptionValue {
        param([string]$ScopeId, [int64]$Code, $Values, $VendorClass, $UserClass)
        $text = ConvertTo-OptionValues -Code $Code -Values $Values
        $optionArgs = @{
            ScopeId     = $ScopeId
            OptionId    = [uint32]$Code
            Value       = $text
            Force       = $true
            ErrorAction = 'Stop'
        }
        if (-not [string]::IsNullOrEmpty([string]$VendorClass)) {
            $optionArgs['VendorClass'] = [string]$VendorClass
        }
        if (-not [string]::IsNullOrEmpty([string]$UserClass)) {
            $optionArgs['UserClass'] = [string]$UserClass
        }
        Set-DhcpServerv4OptionValue @optionArgs
    }

    function Remove-ScopeOptionValue {
        # Removes one option value; $IgnoreMissing turns 'not set' into success.
        param([string]$ScopeId, [int64]$Code, $VendorClass, $UserClass, [switch]$IgnoreMissing)
        $optionArgs = @{ ScopeId = $ScopeId; OptionId = [uint32]$Code; ErrorAction = 'Stop' }
        if (-not [string]::IsNullOrEmpty([string]$VendorClass)) {
            $optionArgs['VendorClass'] = [string]$VendorClass
        }
        if (-not [string]::IsNullOrEmpty([string]$UserClass)) {
            $optionArgs['UserClass'] = [string]$UserClass
        }
        try {
            Remove-DhcpServerv4OptionValue @optionArgs
        }
        catch {
            $resolved = Resolve-ApiError $_
            if ($resolved.Status -eq 404) {
                if ($IgnoreMissing) {
                    return
                }
                throw (New-ApiException 404 ('Option {0} is not set on scope {1}.' -f $Code, $ScopeId))
            }
            throw
        }
    }

    function Invoke-OptionsPatch {
        # Applies a ScopeOptionsPatch ({set:[{code,value}], remove:[code]}) to a scope.
        # -ValidateOnly checks the whole patch without touching the server.
        param([string]$ScopeId, $Patch, [switch]$AllowRemove, [switch]$ValidateOnly)
        if ($null -eq $Patch) {
            return
        }
        if ($Patch -isnot [System.Management.Automation.PSCustomObject]) {
            throw (New-ApiException 400 "'options' must be an object.")
        }
        foreach ($entry in (Get-Field $Patch 'set')) {
            if ($null -eq $entry) {
                continue
            }
            $code = ConvertTo-IntegerValue (Get-Field $entry 'code') 'options.set.code' 1 254
            if ($ValidateOnly) {
                $null = ConvertTo-OptionValues -Code $code -Values (Get-Field $entry 'value')
            }
            else {
                Set-ScopeOptionValue -ScopeId $ScopeId -Code $code -Values (Get-Field $entry 'value')
            }
        }
        if ($AllowRemove) {
            foreach ($rawCode in (Get-Field $Patch 'remove')) {
                if ($null -eq $rawCode) {
                    continue
                }
                $code = ConvertTo-IntegerValue $rawCode 'options.remove' 1 254
                if (-not $ValidateOnly) {
                    Remove-ScopeOptionValue -ScopeId $ScopeId -Code $code -IgnoreMissing
                }
            }
        }
    }

    function Set-ScopeRouter {
        # Non-empty -> option 3 = router; empty or null -> option 3 removed.
        param([string]$ScopeId, $Router)
        if ($null -eq $Router -or ($Router -is [string] -and [string]::IsNullOrWhiteSpace($Router))) {
            Remove-ScopeOptionValue -ScopeId $ScopeId -Code 3 -IgnoreMissing
            return
        }
        $address = ConvertTo-IPv4String $Router 'router'
        Set-ScopeOptionValue -ScopeId $ScopeId -Code 3 -Values @($address)
    }

    # ---------------------------------------------------------------- reservations

    function New-ReservationCache {
        # scope id -> list of reservations, read once per request and kept current.
        return @{}
    }

    function Get-CachedReservations {
        param($Cache, [string]$ScopeId)
        if (-not $Cache.ContainsKey($ScopeId)) {
            $Cache[$ScopeId] = Get-ScopeReservations $ScopeId
        }
        return , $Cache[$ScopeId]
    }

    function Find-CachedReservation {
        # The reservation at $IpAddress or with $ClientId in the scope, or $null.
        param($Cache, [string]$ScopeId, [string]$IpAddress, [string]$ClientId)
        foreach ($reservation in (Get-CachedReservations $Cache $ScopeId)) {
            if ($IpAddress -and [string]$reservation.IPAddress -eq $IpAddress) {
                return $reservation
            }
            if ($ClientId -and (Format-ClientId $reservation.ClientId) -eq $ClientId) {
                return $reservation
            }
        }
        return $null
    }

    function Read-ReservationAfterWrite {
        # Re-reads a reservation; if the read fails the written values are reported instead.
        param($Cache, [string]$ScopeId, [string]$IpAddress, $Fallback)
        $Cache.Remove($ScopeId)
        try {
            $fresh = Find-CachedReservation -Cache $Cache -ScopeId $ScopeId -IpAddress $IpAddress
            if ($null -ne $fresh) {
                return (ConvertTo-ApiReservation $fresh)
            }
        }
        catch {
            Write-Warning ('Reading reservation {0} back failed: {1}' -f $IpAddress, $_.Exception.Message)
        }
        return $Fallback
    }

    function Invoke-ReservationCreate {
        # Validates and creates one reservation; throws an API error on any refusal.
        param($Item, $Cache)
        $scopeId = Get-ScopeIdParameter (Get-Field $Item 'scope_id')
        $ipAddress = ConvertTo-IPv4String (Get-Field $Item 'ip_address') 'ip_address'
        $clientId = ConvertTo-ClientId (Get-Field $Item 'client_id')
        $name = ConvertTo-TextValue (Get-Field $Item 'name') 'name' $MaxNameLength
        $description = ConvertTo-TextValue (Get-Field $Item 'description') 'description' $MaxDescriptionLength
        $type = 'Both'
        if ($null -ne (Get-Field $Item 'type')) {
            $type = ConvertTo-EnumValue (Get-Field $Item 'type') 'type' @('Dhcp', 'Bootp', 'Both')
        }
        $scope = Get-ScopeOrFail $scopeId
        Assert-InScopeRange $scope $ipAddress 'ip_address'
        if ($null -ne (Find-CachedReservation -Cache $Cache -ScopeId $scopeId -IpAddress $ipAddress)) {
            throw (New-ApiException 409 ('{0} is already reserved in scope {1}.' -f $ipAddress, $scopeId))
        }
        $holder = Find-CachedReservation -Cache $Cache -ScopeId $scopeId -ClientId $clientId
        if ($null -ne $holder) {
            throw (New-ApiException 409 ('Client id {0} is already reserved at {1} in scope {2}.' -f $clientId, $holder.IPAddress, $scopeId))
        }
        $reservationArgs = @{
            ScopeId     = $scopeId
            IPAddress   = $ipAddress
            ClientId    = $clientId
            Type        = $type
            ErrorAction = 'Stop'
        }
        if ($name) {
            $reservationArgs['Name'] = $name
        }
        if ($description) {
            $reservationArgs['Description'] = $description
        }
        Add-DhcpServerv4Reservation @reservationArgs
        $fallback = [ordered]@{
            ip_address = $ipAddress; scope_id = $scopeId; client_id = $clientId
            name = $name; description = $description; type = $type
        }
        return (Read-ReservationAfterWrite -Cache $Cache -ScopeId $scopeId -IpAddress $ipAddress -Fallback $fallback)
    }

    function Invoke-ReservationChange {
        # Applies name/description/type (and optionally a new client id) to an existing reservation.
        param($Reservation, $Item, $Cache, [switch]$AllowClientIdChange)
        $scopeId = [string]$Reservation.ScopeId
        $ipAddress = [string]$Reservation.IPAddress
        $setArgs = @{ IPAddress = $ipAddress; ErrorAction = 'Stop' }
        $changed = $false
        if (Test-Field $Item 'name') {
            $newName = ConvertTo-TextValue (Get-Field $Item 'name') 'name' $MaxNameLength
            if ($newName -cne [string]$Reservation.Name) {
                $setArgs['Name'] = $newName
                $changed = $true
            }
        }
        if (Test-Field $Item 'description') {
            $newDescription = ConvertTo-TextValue (Get-Field $Item 'description') 'description' $MaxDescriptionLength
            if ($newDescription -cne [string]$Reservation.Description) {
                $setArgs['Description'] = $newDescription
                $changed = $true
            }
        }
        if (Test-Field $Item 'type') {
            $newType = ConvertTo-EnumValue (Get-Field $Item 'type') 'type' @('Dhcp', 'Bootp', 'Both')
            if ($newType -ne [string]$Reservation.Type) {
                $setArgs['Type'] = $newType
                $changed = $true
            }
        }
        if ($AllowClientIdChange -and $null -ne (Get-Field $Item 'client_id')) {
            $newClientId = ConvertTo-ClientId (Get-Field $Item 'client_id')
            if ($newClientId -ne (Format-ClientId $Reservation.ClientId)) {
                $holder = Find-CachedReservation -Cache $Cache -ScopeId $scopeId -ClientId $newClientId
                if ($null -ne $holder -and [string]$holder.IPAddress -ne $ipAddress) {
                    throw (New-ApiException 409 ('Client id {0} is already reserved at {1} in scope {2}.' -f $newClientId, $holder.IPAddress, $scopeId))
                }
                $setArgs['ClientId'] = $newClientId
                $changed = $true
            }
        }
        if ($changed) {
            Set-DhcpServerv4Reservation @setArgs
            return (Read-ReservationAfterWrite -Cache $Cache -ScopeId $scopeId -IpAddress $ipAddress -Fallback (ConvertTo-ApiReservation $Reservation))
        }
        return (ConvertTo-ApiReservation $Reservation)
    }

    function Find-ReservationByClientId {
        # The single reservation held by $ClientId (optionally within one scope): 404 none, 409 several.
        param([string]$ClientId, $ScopeIdFilter, $Cache)
        $scopeIds = [System.Collections.Generic.List[string]]::new()
        if ($null -ne $ScopeIdFilter) {
            $null = Get-ScopeOrFail $ScopeIdFilter
            $scopeIds.Add($ScopeIdFilter)
        }
        else {
            foreach ($scope in (Get-AllScopes)) {
                $scopeIds.Add([string]$scope.ScopeId)
            }
        }
        $matched = [System.Collections.Generic.List[object]]::new()
        foreach ($scopeId in $scopeIds) {
            $hit = Find-CachedReservation -Cache $Cache -ScopeId $scopeId -ClientId $ClientId
            if ($null -ne $hit) {
                $matched.Add($hit)
            }
        }
        if ($matched.Count -eq 0) {
            throw (New-ApiException 404 ('No reservation holds client id {0}.' -f $ClientId))
        }
        if ($matched.Count -gt 1) {
            throw (New-ApiException 409 ('Client id {0} is reserved in several scopes; give scope_id.' -f $ClientId))
        }
        return $matched[0]
    }

    # ---------------------------------------------------------------- leases paging

    function ConvertTo-LeaseCursor {
        param([string]$ScopeId, [string]$IpAddress)
        $plain = 'v1:{0}:{1}' -f (ConvertTo-IPv4Number $ScopeId), (ConvertTo-IPv4Number $IpAddress)
        return [System.Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes($plain))
    }

    function ConvertFrom-LeaseCursor {
        param([string]$Cursor)
        $plain = ''
        try {
            $plain = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($Cursor))
        }
        catch {
            throw (New-ApiException 400 "'cursor' is malformed.")
        }
        if ($plain -notmatch '^v1:(\d{1,10}):(\d{1,10})$') {
            throw (New-ApiException 400 "'cursor' is malformed.")
        }
        return @{ Scope = [int64]$Matches[1]; Address = [int64]$Matches[2] }
    }
}

function New-DhcpEndpointScript {
    # Builds an endpoint script from the shared helpers and the endpoint body. Both are constant
    # script text from this file; no request data is ever part of the compiled code.
    param([Parameter(Mandatory)][scriptblock]$EndpointBody)
    return [scriptblock]::Create($DhcpApiHelpers.ToString() + [System.Environment]::NewLine + $EndpointBody.ToString())
}

# =============================================================================================
# Health
# =============================================================================================

New-PSUEndpoint -Url '/api/dhcp/health' -Method 'GET' -Authentication -Role $ReaderRoles -Timeout $EndpointTimeout -Description 'Liveness, script version and DhcpServer module availability.' -Endpoint (New-DhcpEndpointScript {
    $serviceRunning = $false
    try {
        $service = Get-Service -Name 'DHCPServer' -ErrorAction Stop
        $serviceRunning = ([string]$service.Status -eq 'Running')
    }
    catch {
        $serviceRunning = $false
    }
    $status = 'degraded'
    if ($DhcpModuleLoaded -and $serviceRunning) {
        $status = 'ok'
    }
    Send-Json -Status 200 -Data ([ordered]@{
        status           = $status
        version          = $ScriptVersion
        contract_version = $ContractVersion
        dhcp_module      = $DhcpModuleLoaded
        server           = Get-ServerFqdn
    })
})

New-PSUEndpoint -Url '/api/dhcp/health' -Method 'POST' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Writer-role check; no side effect.' -Endpoint (New-DhcpEndpointScript {
    Send-Json -Status 200 -Data ([ordered]@{ status = 'ok' })
})

# =============================================================================================
# Scopes
# =============================================================================================

New-PSUEndpoint -Url '/api/dhcp/scopes' -Method 'GET' -Authentication -Role $ReaderRoles -Timeout $EndpointTimeout -Description 'List every scope with router and failover_name.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $activeOnly = ConvertTo-BoolParameter $active_only 'active_only' $false
        $includeRouter = ConvertTo-BoolParameter $include_router 'include_router' $true
        $failoverNames = Get-FailoverNameMap
        $result = [System.Collections.Generic.List[object]]::new()
        foreach ($scope in (Get-AllScopes)) {
            if ($activeOnly -and [string]$scope.State -ne 'Active') {
                continue
            }
            $scopeId = [string]$scope.ScopeId
            $router = $null
            if ($includeRouter) {
                $router = Get-ScopeRouter $scopeId
            }
            $result.Add((ConvertTo-ApiScope -Scope $scope -IncludeRouter $includeRouter -Router $router -FailoverName $failoverNames[$scopeId]))
        }
        Send-Json -Status 200 -Data $result.ToArray()
    }
    catch {
        Send-Failure $_ 'Listing scopes' -NoNotFound
    }
})

New-PSUEndpoint -Url '/api/dhcp/scopes/:scope_id' -Method 'GET' -Authentication -Role $ReaderRoles -Timeout $EndpointTimeout -Description 'One scope with router and failover_name.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $scopeId = Get-ScopeIdParameter $scope_id
        $scope = Get-ScopeOrFail $scopeId
        $failoverNames = Get-FailoverNameMap
        $router = Get-ScopeRouter $scopeId
        Send-Json -Status 200 -Data (ConvertTo-ApiScope -Scope $scope -IncludeRouter $true -Router $router -FailoverName $failoverNames[$scopeId])
    }
    catch {
        Send-Failure $_ 'Reading the scope'
    }
})

New-PSUEndpoint -Url '/api/dhcp/scopes' -Method 'POST' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Create a scope (ScopeCreate).' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $request = Read-JsonBody $Body
        $scopeId = ConvertTo-IPv4String (Get-Field $request 'scope_id') 'scope_id'
        $startIp = ConvertTo-IPv4String (Get-Field $request 'start_ip') 'start_ip'
        $endIp = ConvertTo-IPv4String (Get-Field $request 'end_ip') 'end_ip'
        $mask = ConvertTo-IPv4String (Get-Field $request 'subnet_mask') 'subnet_mask'
        $scopeName = ConvertTo-TextValue (Get-Field $request 'name') 'name' $MaxNameLength
        $description = ConvertTo-TextValue (Get-Field $request 'description') 'description' $MaxDescriptionLength
        if (-not (Test-ContiguousMask $mask)) {
            throw (New-ApiException 400 "'subnet_mask' must be a contiguous mask.")
        }
        $maskValue = ConvertTo-IPv4Number $mask
        $startValue = ConvertTo-IPv4Number $startIp
        $endValue = ConvertTo-IPv4Number $endIp
        $networkValue = ConvertTo-IPv4Number $scopeId
        if (($startValue -band $maskValue) -ne $networkValue) {
            throw (New-ApiException 400 "'scope_id' must equal start_ip AND subnet_mask.")
        }
        if (($endValue -band $maskValue) -ne $networkValue) {
            throw (New-ApiException 400 "'end_ip' is outside the subnet.")
        }
        if ($startValue -gt $endValue) {
            throw (New-ApiException 400 "'start_ip' must not be greater than 'end_ip'.")
        }
        # Windows requires a scope name; an empty one is stored as the scope id.
        $windowsName = $scopeName
        if (-not $windowsName) {
            $windowsName = $scopeId
        }
        $scopeArgs = @{
            StartRange  = $startIp
            EndRange    = $endIp
            SubnetMask  = $mask
            Name        = $windowsName
            State       = 'Active'
            ErrorAction = 'Stop'
        }
        if ($description) {
            $scopeArgs['Description'] = $description
        }
        if ($null -ne (Get-Field $request 'state')) {
            $scopeArgs['State'] = ConvertTo-EnumValue (Get-Field $request 'state') 'state' @('Active', 'InActive')
        }
        if ($null -ne (Get-Field $request 'lease_duration_seconds')) {
            $seconds = ConvertTo-IntegerValue (Get-Field $request 'lease_duration_seconds') 'lease_duration_seconds' ([int64]::MinValue) $UnlimitedLeaseSeconds
            if ($seconds -gt 0) {
                $scopeArgs['LeaseDuration'] = ConvertTo-LeaseTimeSpan $seconds
            }
        }
        $router = Get-Field $request 'router'
        if ($null -ne $router -and -not ($router -is [string] -and [string]::IsNullOrWhiteSpace($router))) {
            $null = ConvertTo-IPv4String $router 'router'
        }
        $enroll = $null
        $failoverPatch = Get-Field $request 'failover'
        if ($null -ne $failoverPatch) {
            $enroll = ConvertTo-TextValue (Get-Field $failoverPatch 'enroll') 'failover.enroll' $MaxNameLength
            if ($enroll -and $null -eq (Get-FailoverByName $enroll)) {
                throw (New-ApiException 404 ('Failover relationship {0} not found.' -f $enroll))
            }
        }
        Invoke-OptionsPatch -ScopeId $scopeId -Patch (Get-Field $request 'options') -ValidateOnly
        if (Test-ScopeExists $scopeId) {
            throw (New-ApiException 409 ('Scope {0} already exists.' -f $scopeId))
        }
        $newLast = $networkValue + ([int64]4294967295 - $maskValue)
        foreach ($other in (Get-AllScopes)) {
            $otherMask = ConvertTo-IPv4Number ([string]$other.SubnetMask)
            $otherFirst = ConvertTo-IPv4Number ([string]$other.ScopeId)
            $otherLast = $otherFirst + ([int64]4294967295 - $otherMask)
            if ($networkValue -le $otherLast -and $newLast -ge $otherFirst) {
                throw (New-ApiException 409 ('Subnet {0}/{1} overlaps scope {2}.' -f $scopeId, $mask, $other.ScopeId))
            }
        }
        Add-DhcpServerv4Scope @scopeArgs
        # The scope exists from here on: later failures say so in their message.
        try {
            if ($null -ne $router -and -not ($router -is [string] -and [string]::IsNullOrWhiteSpace($router))) {
                Set-ScopeRouter -ScopeId $scopeId -Router $router
            }
            Invoke-OptionsPatch -ScopeId $scopeId -Patch (Get-Field $request 'options')
            if ($enroll) {
                Add-DhcpServerv4FailoverScope -Name $enroll -ScopeId $scopeId -ErrorAction Stop
            }
        }
        catch {
            $resolved = Resolve-ApiError $_
            throw (New-ApiException $resolved.Status ('Scope {0} was created, but configuring it failed: {1}' -f $scopeId, $resolved.Message))
        }
        $created = Get-ScopeOrFail $scopeId
        $failoverName = $null
        if ($enroll) {
            $failoverName = $enroll
        }
        Send-Json -Status 201 -Data (ConvertTo-ApiScope -Scope $created -IncludeRouter $true -Router (Get-ScopeRouter $scopeId) -FailoverName $failoverName)
    }
    catch {
        Send-Failure $_ 'Creating the scope'
    }
})

New-PSUEndpoint -Url '/api/dhcp/scopes/:scope_id' -Method 'PUT' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Update a scope (ScopeUpdate); only present keys are applied.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $scopeId = Get-ScopeIdParameter $scope_id
        $request = Read-JsonBody $Body
        $scope = Get-ScopeOrFail $scopeId
        $setArgs = @{ ScopeId = $scopeId; ErrorAction = 'Stop' }
        $attributeChange = $false
        if (Test-Field $request 'name') {
            $setArgs['Name'] = ConvertTo-TextValue (Get-Field $request 'name') 'name' $MaxNameLength
            $attributeChange = $true
        }
        if (Test-Field $request 'description') {
            $setArgs['Description'] = ConvertTo-TextValue (Get-Field $request 'description') 'description' $MaxDescriptionLength
            $attributeChange = $true
        }
        if ($null -ne (Get-Field $request 'state')) {
            $setArgs['State'] = ConvertTo-EnumValue (Get-Field $request 'state') 'state' @('Active', 'InActive')
            $attributeChange = $true
        }
        if ($null -ne (Get-Field $request 'lease_duration_seconds')) {
            $seconds = ConvertTo-IntegerValue (Get-Field $request 'lease_duration_seconds') 'lease_duration_seconds' ([int64]::MinValue) $UnlimitedLeaseSeconds
            if ($seconds -gt 0) {
                $setArgs['LeaseDuration'] = ConvertTo-LeaseTimeSpan $seconds
                $attributeChange = $true
            }
        }
        $newStart = [string]$scope.StartRange
        $newEnd = [string]$scope.EndRange
        $rangeChange = $false
        if ($null -ne (Get-Field $request 'start_ip')) {
            $newStart = ConvertTo-IPv4String (Get-Field $request 'start_ip') 'start_ip'
            $rangeChange = $true
        }
        if ($null -ne (Get-Field $request 'end_ip')) {
            $newEnd = ConvertTo-IPv4String (Get-Field $request 'end_ip') 'end_ip'
            $rangeChange = $true
        }
        if ($rangeChange) {
            $maskValue = ConvertTo-IPv4Number ([string]$scope.SubnetMask)
            $networkValue = ConvertTo-IPv4Number $scopeId
            $startValue = ConvertTo-IPv4Number $newStart
            $endValue = ConvertTo-IPv4Number $newEnd
            if (($startValue -band $maskValue) -ne $networkValue -or ($endValue -band $maskValue) -ne $networkValue) {
                throw (New-ApiException 400 ('The new range {0}-{1} is outside the subnet of scope {2}.' -f $newStart, $newEnd, $scopeId))
            }
            if ($startValue -gt $endValue) {
                throw (New-ApiException 400 "'start_ip' must not be greater than 'end_ip'.")
            }
            foreach ($exclusion in (Get-ScopeExclusions $scopeId)) {
                if ((ConvertTo-IPv4Number ([string]$exclusion.StartRange)) -lt $startValue -or (ConvertTo-IPv4Number ([string]$exclusion.EndRange)) -gt $endValue) {
                    throw (New-ApiException 400 ('Exclusion {0}-{1} would fall outside the new range.' -f $exclusion.StartRange, $exclusion.EndRange))
                }
            }
            foreach ($reservation in (Get-ScopeReservations $scopeId)) {
                $reservedValue = ConvertTo-IPv4Number ([string]$reservation.IPAddress)
                if ($reservedValue -lt $startValue -or $reservedValue -gt $endValue) {
                    throw (New-ApiException 400 ('Reservation {0} would fall outside the new range.' -f $reservation.IPAddress))
                }
            }
            $setArgs['StartRange'] = $newStart
            $setArgs['EndRange'] = $newEnd
            $attributeChange = $true
        }
        if (Test-Field $request 'router') {
            $routerValue = Get-Field $request 'router'
            if ($null -ne $routerValue -and -not ($routerValue -is [string] -and [string]::IsNullOrWhiteSpace($routerValue))) {
                $null = ConvertTo-IPv4String $routerValue 'router'
            }
        }
        $failoverPatch = Get-Field $request 'failover'
        $removeFrom = $null
        $enrollInto = $null
        if ($null -ne $failoverPatch) {
            $removeFrom = ConvertTo-TextValue (Get-Field $failoverPatch 'remove') 'failover.remove' $MaxNameLength
            $enrollInto = ConvertTo-TextValue (Get-Field $failoverPatch 'enroll') 'failover.enroll' $MaxNameLength
        }
        $currentFailover = (Get-FailoverNameMap)[$scopeId]
        if ($removeFrom) {
            if ($null -eq (Get-FailoverByName $removeFrom)) {
                throw (New-ApiException 404 ('Failover relationship {0} not found.' -f $removeFrom))
            }
            if ($currentFailover -ne $removeFrom) {
                throw (New-ApiException 409 ('Scope {0} is not in failover relationship {1}.' -f $scopeId, $removeFrom))
            }
        }
        if ($enrollInto) {
            if ($null -eq (Get-FailoverByName $enrollInto)) {
                throw (New-ApiException 404 ('Failover relationship {0} not found.' -f $enrollInto))
            }
            $stillIn = $currentFailover
            if ($removeFrom) {
                $stillIn = $null
            }
            if ($stillIn -and $stillIn -ne $enrollInto) {
                throw (New-ApiException 409 ('Scope {0} is already in failover relationship {1}.' -f $scopeId, $stillIn))
            }
        }
        Invoke-OptionsPatch -ScopeId $scopeId -Patch (Get-Field $request 'options') -AllowRemove -ValidateOnly
        if ($attributeChange) {
            Set-DhcpServerv4Scope @setArgs
        }
        if (Test-Field $request 'router') {
            Set-ScopeRouter -ScopeId $scopeId -Router (Get-Field $request 'router')
        }
        Invoke-OptionsPatch -ScopeId $scopeId -Patch (Get-Field $request 'options') -AllowRemove
        if ($removeFrom) {
            Remove-DhcpServerv4FailoverScope -Name $removeFrom -ScopeId $scopeId -Force -ErrorAction Stop
        }
        if ($enrollInto -and $enrollInto -ne (Get-FailoverNameMap)[$scopeId]) {
            Add-DhcpServerv4FailoverScope -Name $enrollInto -ScopeId $scopeId -ErrorAction Stop
        }
        $updated = Get-ScopeOrFail $scopeId
        $updatedFailover = (Get-FailoverNameMap)[$scopeId]
        Send-Json -Status 200 -Data (ConvertTo-ApiScope -Scope $updated -IncludeRouter $true -Router (Get-ScopeRouter $scopeId) -FailoverName $updatedFailover)
    }
    catch {
        Send-Failure $_ 'Updating the scope'
    }
})

New-PSUEndpoint -Url '/api/dhcp/scopes/:scope_id' -Method 'DELETE' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Delete a scope that is in no failover relationship.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $scopeId = Get-ScopeIdParameter $scope_id
        $null = Get-ScopeOrFail $scopeId
        $relationship = (Get-FailoverNameMap)[$scopeId]
        if ($relationship) {
            throw (New-ApiException 409 ('Scope {0} is in failover relationship {1}; remove it from the relationship first.' -f $scopeId, $relationship))
        }
        Remove-DhcpServerv4Scope -ScopeId $scopeId -Force -ErrorAction Stop
        Send-NoContent
    }
    catch {
        Send-Failure $_ 'Deleting the scope'
    }
})

# =============================================================================================
# Leases
# =============================================================================================

New-PSUEndpoint -Url '/api/dhcp/leases' -Method 'GET' -Authentication -Role $ReaderRoles -Timeout $EndpointTimeout -Description 'Leases: flat, one scope, grouped by scope, or paged.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $allStates = ConvertTo-BoolParameter $all_states 'all_states' $false
        $grouped = $false
        if (-not [string]::IsNullOrEmpty([string]$format)) {
            if ([string]$format -ne 'grouped') {
                throw (New-ApiException 400 "'format' must be 'grouped'.")
            }
            $grouped = $true
        }
        $paged = (-not [string]::IsNullOrEmpty([string]$limit)) -or (-not [string]::IsNullOrEmpty([string]$cursor))
        $filterScope = $null
        if (-not [string]::IsNullOrEmpty([string]$scope_id)) {
            $filterScope = Get-ScopeIdParameter ([string]$scope_id)
        }
        if ($grouped -and ($paged -or $null -ne $filterScope)) {
            throw (New-ApiException 400 "'format=grouped' cannot be combined with scope_id, limit or cursor.")
        }
        $scopeIds = [System.Collections.Generic.List[string]]::new()
        if ($null -ne $filterScope) {
            $null = Get-ScopeOrFail $filterScope
            $scopeIds.Add($filterScope)
        }
        else {
            foreach ($scope in (Get-AllScopes)) {
                $scopeIds.Add([string]$scope.ScopeId)
            }
        }

        if ($grouped) {
            $byScope = [ordered]@{}
            foreach ($scopeId in $scopeIds) {
                $shaped = [System.Collections.Generic.List[object]]::new()
                foreach ($lease in (Get-ScopeLeases $scopeId $allStates)) {
                    $shaped.Add((ConvertTo-ApiLease $lease))
                }
                $byScope[$scopeId] = $shaped.ToArray()
            }
            return (Send-Json -Status 200 -Data $byScope)
        }

        if ($paged) {
            $pageSize = [int64]1000
            if (-not [string]::IsNullOrEmpty([string]$limit)) {
                $pageSize = ConvertTo-IntegerValue ([string]$limit) 'limit' 1 10000
            }
            $after = $null
            if (-not [string]::IsNullOrEmpty([string]$cursor)) {
                $after = ConvertFrom-LeaseCursor ([string]$cursor)
            }
            $items = [System.Collections.Generic.List[object]]::new()
            $hasMore = $false
            foreach ($scopeId in $scopeIds) {
                if ($hasMore) {
                    break
                }
                $scopeValue = ConvertTo-IPv4Number $scopeId
                if ($null -ne $after -and $scopeValue -lt $after.Scope) {
                    continue
                }
                foreach ($lease in (Get-ScopeLeases $scopeId $allStates)) {
                    if ($null -ne $after -and $scopeValue -eq $after.Scope -and (ConvertTo-IPv4Number ([string]$lease.IPAddress)) -le $after.Address) {
                        continue
                    }
                    if ($items.Count -ge $pageSize) {
                        $hasMore = $true
                        break
                    }
                    $items.Add((ConvertTo-ApiLease $lease))
                }
            }
            $nextCursor = $null
            if ($hasMore -and $items.Count -gt 0) {
                $last = $items[$items.Count - 1]
                $nextCursor = ConvertTo-LeaseCursor $last['scope_id'] $last['ip_address']
            }
            return (Send-Json -Status 200 -Data ([ordered]@{ items = $items.ToArray(); next_cursor = $nextCursor }))
        }

        $flat = [System.Collections.Generic.List[object]]::new()
        foreach ($scopeId in $scopeIds) {
            foreach ($lease in (Get-ScopeLeases $scopeId $allStates)) {
                $flat.Add((ConvertTo-ApiLease $lease))
            }
        }
        Send-Json -Status 200 -Data $flat.ToArray()
    }
    catch {
        Send-Failure $_ 'Listing leases' -NoNotFound:($null -eq $filterScope)
    }
})

# =============================================================================================
# Reservations
# =============================================================================================

New-PSUEndpoint -Url '/api/dhcp/reservations' -Method 'GET' -Authentication -Role $ReaderRoles -Timeout $EndpointTimeout -Description 'Reservations: flat, one scope, or grouped by scope.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $grouped = $false
        if (-not [string]::IsNullOrEmpty([string]$format)) {
            if ([string]$format -ne 'grouped') {
                throw (New-ApiException 400 "'format' must be 'grouped'.")
            }
            $grouped = $true
        }
        $filterScope = $null
        if (-not [string]::IsNullOrEmpty([string]$scope_id)) {
            $filterScope = Get-ScopeIdParameter ([string]$scope_id)
        }
        if ($grouped -and $null -ne $filterScope) {
            throw (New-ApiException 400 "'format=grouped' cannot be combined with scope_id.")
        }
        $scopeIds = [System.Collections.Generic.List[string]]::new()
        if ($null -ne $filterScope) {
            $null = Get-ScopeOrFail $filterScope
            $scopeIds.Add($filterScope)
        }
        else {
            foreach ($scope in (Get-AllScopes)) {
                $scopeIds.Add([string]$scope.ScopeId)
            }
        }
        if ($grouped) {
            $byScope = [ordered]@{}
            foreach ($scopeId in $scopeIds) {
                $shaped = [System.Collections.Generic.List[object]]::new()
                foreach ($reservation in (Get-ScopeReservations $scopeId)) {
                    $shaped.Add((ConvertTo-ApiReservation $reservation))
                }
                $byScope[$scopeId] = $shaped.ToArray()
            }
            return (Send-Json -Status 200 -Data $byScope)
        }
        $flat = [System.Collections.Generic.List[object]]::new()
        foreach ($scopeId in $scopeIds) {
            foreach ($reservation in (Get-ScopeReservations $scopeId)) {
                $flat.Add((ConvertTo-ApiReservation $reservation))
            }
        }
        Send-Json -Status 200 -Data $flat.ToArray()
    }
    catch {
        Send-Failure $_ 'Listing reservations' -NoNotFound:($null -eq $filterScope)
    }
})

New-PSUEndpoint -Url '/api/dhcp/reservations' -Method 'POST' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Create one reservation (ReservationCreate).' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $request = Read-JsonBody $Body
        $created = Invoke-ReservationCreate -Item $request -Cache (New-ReservationCache)
        Send-Json -Status 201 -Data $created
    }
    catch {
        Send-Failure $_ 'Creating the reservation'
    }
})

New-PSUEndpoint -Url '/api/dhcp/reservations/:client_id' -Method 'PUT' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Update the reservation held by a client id (ReservationUpdate).' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $clientId = ConvertTo-ClientId ([string]$client_id)
        $scopeFilter = $null
        if (-not [string]::IsNullOrEmpty([string]$scope_id)) {
            $scopeFilter = Get-ScopeIdParameter ([string]$scope_id)
        }
        $request = Read-JsonBody $Body -AllowEmpty
        $cache = New-ReservationCache
        $reservation = Find-ReservationByClientId -ClientId $clientId -ScopeIdFilter $scopeFilter -Cache $cache
        $updated = Invoke-ReservationChange -Reservation $reservation -Item $request -Cache $cache
        Send-Json -Status 200 -Data $updated
    }
    catch {
        Send-Failure $_ 'Updating the reservation'
    }
})

New-PSUEndpoint -Url '/api/dhcp/reservations/:client_id' -Method 'DELETE' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Delete the reservation held by a client id; the lease stays.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $clientId = ConvertTo-ClientId ([string]$client_id)
        $scopeFilter = $null
        if (-not [string]::IsNullOrEmpty([string]$scope_id)) {
            $scopeFilter = Get-ScopeIdParameter ([string]$scope_id)
        }
        $reservation = Find-ReservationByClientId -ClientId $clientId -ScopeIdFilter $scopeFilter -Cache (New-ReservationCache)
        $removeArgs = @{ IPAddress = [string]$reservation.IPAddress; ErrorAction = 'Stop' }
        Remove-DhcpServerv4Reservation @removeArgs
        Send-NoContent
    }
    catch {
        Send-Failure $_ 'Deleting the reservation'
    }
})

New-PSUEndpoint -Url '/api/dhcp/reservations/batch' -Method 'POST' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Create, update and delete many reservations; one result per item.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $request = Read-JsonBody $Body
        $items = Get-Field $request 'items'
        if ($null -eq $items -or $items -isnot [array]) {
            throw (New-ApiException 400 "Body must be {""items"": [...]}.")
        }
        if ($items.Count -gt $MaxBatchItems) {
            throw (New-ApiException 400 ('At most {0} items per batch.' -f $MaxBatchItems))
        }
        $statusNames = @{ 400 = 'invalid'; 404 = 'not_found'; 409 = 'conflict' }
        $cache = New-ReservationCache
        $results = [System.Collections.Generic.List[object]]::new()
        for ($index = 0; $index -lt $items.Count; $index++) {
            $item = $items[$index]
            $outcome = [ordered]@{ index = $index; status = 'ok' }
            try {
                if ($item -isnot [System.Management.Automation.PSCustomObject]) {
                    throw (New-ApiException 400 'Item must be an object.')
                }
                $operation = ConvertTo-EnumValue (Get-Field $item 'op') 'op' @('create', 'update', 'delete')
                if ($operation -eq 'create') {
                    $outcome['reservation'] = Invoke-ReservationCreate -Item $item -Cache $cache
                }
                else {
                    $scopeId = Get-ScopeIdParameter (Get-Field $item 'scope_id')
                    $ipAddress = ConvertTo-IPv4String (Get-Field $item 'ip_address') 'ip_address'
                    $null = Get-ScopeOrFail $scopeId
                    $existing = Find-CachedReservation -Cache $cache -ScopeId $scopeId -IpAddress $ipAddress
                    if ($null -eq $existing) {
                        throw (New-ApiException 404 ('No reservation at {0} in scope {1}.' -f $ipAddress, $scopeId))
                    }
                    if ($operation -eq 'update') {
                        $outcome['reservation'] = Invoke-ReservationChange -Reservation $existing -Item $item -Cache $cache -AllowClientIdChange
                    }
                    else {
                        $removeArgs = @{ IPAddress = $ipAddress; ErrorAction = 'Stop' }
                        Remove-DhcpServerv4Reservation @removeArgs
                        $cache.Remove($scopeId)
                    }
                }
            }
            catch {
                $resolved = Resolve-ApiError $_
                $statusName = 'error'
                if ($statusNames.ContainsKey($resolved.Status)) {
                    $statusName = $statusNames[$resolved.Status]
                }
                $outcome = [ordered]@{ index = $index; status = $statusName; error = $resolved.Message }
            }
            $results.Add($outcome)
        }
        Send-Json -Status 200 -Data $results.ToArray()
    }
    catch {
        Send-Failure $_ 'Applying the reservation batch'
    }
})

# =============================================================================================
# Failover
# =============================================================================================

New-PSUEndpoint -Url '/api/dhcp/failover' -Method 'GET' -Authentication -Role $ReaderRoles -Timeout $EndpointTimeout -Description 'All failover relationships of this server.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $serverName = Get-ServerFqdn
        $result = [System.Collections.Generic.List[object]]::new()
        foreach ($relationship in (Get-FailoverRelationships)) {
            $result.Add((ConvertTo-ApiFailover $relationship $serverName))
        }
        Send-Json -Status 200 -Data $result.ToArray()
    }
    catch {
        Send-Failure $_ 'Listing failover relationships' -NoNotFound
    }
})

New-PSUEndpoint -Url '/api/dhcp/failover' -Method 'POST' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Create a failover relationship (FailoverCreate).' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $request = Read-JsonBody $Body
        $relationshipName = ConvertTo-TextValue (Get-Field $request 'name') 'name' $MaxNameLength
        if (-not $relationshipName) {
            throw (New-ApiException 400 "'name' is required.")
        }
        $partner = Get-Field $request 'partner_server'
        if ($null -eq $partner) {
            $partner = Get-Field $request 'secondary_server'
        }
        $partner = ConvertTo-TextValue $partner 'secondary_server' $MaxNameLength
        if (-not $partner -or $partner -notmatch '^[A-Za-z0-9][A-Za-z0-9\.\-]*$') {
            throw (New-ApiException 400 "'secondary_server' (or 'partner_server') must be a host name or IPv4 address.")
        }
        $rawScopeIds = Get-Field $request 'scope_ids'
        if ($null -eq $rawScopeIds -or $rawScopeIds -isnot [array] -or $rawScopeIds.Count -eq 0) {
            throw (New-ApiException 400 "'scope_ids' must be a non-empty array.")
        }
        $scopeIds = [System.Collections.Generic.List[string]]::new()
        foreach ($rawScopeId in $rawScopeIds) {
            $scopeIds.Add((ConvertTo-IPv4String $rawScopeId 'scope_ids'))
        }
        $mode = 'LoadBalance'
        if ($null -ne (Get-Field $request 'mode')) {
            $mode = ConvertTo-EnumValue (Get-Field $request 'mode') 'mode' @('LoadBalance', 'HotStandby')
        }
        $failoverArgs = @{
            Name          = $relationshipName
            PartnerServer = $partner
            ScopeId       = $scopeIds.ToArray()
            Force         = $true
            ErrorAction   = 'Stop'
        }
        $leadSeconds = [int64]3600
        if ($null -ne (Get-Field $request 'max_client_lead_time')) {
            $leadSeconds = ConvertTo-IntegerValue (Get-Field $request 'max_client_lead_time') 'max_client_lead_time' 0 $UnlimitedLeaseSeconds
        }
        $failoverArgs['MaxClientLeadTime'] = [timespan]::FromSeconds([double]$leadSeconds)
        if ($null -ne (Get-Field $request 'max_response_delay')) {
            # Accepted for the seed's sake; Windows has no such setting.
            $null = ConvertTo-IntegerValue (Get-Field $request 'max_response_delay') 'max_response_delay' 0 $UnlimitedLeaseSeconds
        }
        if ($null -ne (Get-Field $request 'state_switchover_interval')) {
            $switchSeconds = ConvertTo-IntegerValue (Get-Field $request 'state_switchover_interval') 'state_switchover_interval' 1 $UnlimitedLeaseSeconds
            $failoverArgs['StateSwitchInterval'] = [timespan]::FromSeconds([double]$switchSeconds)
            $failoverArgs['AutoStateTransition'] = $true
        }
        if ($mode -eq 'LoadBalance') {
            if ($null -ne (Get-Field $request 'server_role') -or $null -ne (Get-Field $request 'reserve_percent')) {
                throw (New-ApiException 400 "'server_role' and 'reserve_percent' apply to HotStandby only.")
            }
            $percent = [int64]50
            if ($null -ne (Get-Field $request 'load_balance_percent')) {
                $percent = ConvertTo-IntegerValue (Get-Field $request 'load_balance_percent') 'load_balance_percent' 0 100
            }
            $failoverArgs['LoadBalancePercent'] = [uint32]$percent
        }
        else {
            if ($null -ne (Get-Field $request 'load_balance_percent')) {
                throw (New-ApiException 400 "'load_balance_percent' applies to LoadBalance only.")
            }
            $role = 'Active'
            if ($null -ne (Get-Field $request 'server_role')) {
                $role = ConvertTo-EnumValue (Get-Field $request 'server_role') 'server_role' @('Active', 'Standby')
            }
            $reserve = [int64]5
            if ($null -ne (Get-Field $request 'reserve_percent')) {
                $reserve = ConvertTo-IntegerValue (Get-Field $request 'reserve_percent') 'reserve_percent' 0 100
            }
            $failoverArgs['ServerRole'] = $role
            $failoverArgs['ReservePercent'] = [uint32]$reserve
        }
        $enableAuth = $false
        if ($null -ne (Get-Field $request 'enable_auth')) {
            if ((Get-Field $request 'enable_auth') -isnot [bool]) {
                throw (New-ApiException 400 "'enable_auth' must be true or false.")
            }
            $enableAuth = [bool](Get-Field $request 'enable_auth')
        }
        $secret = Get-Field $request 'shared_secret'
        if ($enableAuth) {
            if ($secret -isnot [string] -or [string]::IsNullOrEmpty($secret)) {
                throw (New-ApiException 400 "'enable_auth' requires 'shared_secret'.")
            }
            $failoverArgs['SharedSecret'] = $secret
        }
        if ($null -ne (Get-FailoverByName $relationshipName)) {
            throw (New-ApiException 409 ('Failover relationship {0} already exists.' -f $relationshipName))
        }
        $memberships = Get-FailoverNameMap
        foreach ($scopeId in $scopeIds) {
            $null = Get-ScopeOrFail $scopeId
            if ($memberships.ContainsKey($scopeId)) {
                throw (New-ApiException 409 ('Scope {0} is already in failover relationship {1}.' -f $scopeId, $memberships[$scopeId]))
            }
        }
        Add-DhcpServerv4Failover @failoverArgs
        $created = Get-FailoverByName $relationshipName
        if ($null -eq $created) {
            throw (New-ApiException 500 ('Failover relationship {0} was created but cannot be read back.' -f $relationshipName))
        }
        Send-Json -Status 201 -Data (ConvertTo-ApiFailover $created (Get-ServerFqdn))
    }
    catch {
        # The message never contains the shared secret: it is only ever a splatted value.
        Send-Failure $_ 'Creating the failover relationship'
    }
})

New-PSUEndpoint -Url '/api/dhcp/failover/:name' -Method 'DELETE' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Remove a failover relationship; the scopes stay on this server.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $relationshipName = ConvertTo-TextValue ([string]$name) 'name' $MaxNameLength
        if (-not $relationshipName) {
            throw (New-ApiException 400 "'name' is required.")
        }
        if ($null -eq (Get-FailoverByName $relationshipName)) {
            throw (New-ApiException 404 ('Failover relationship {0} not found.' -f $relationshipName))
        }
        Remove-DhcpServerv4Failover -Name $relationshipName -Force -ErrorAction Stop
        Send-NoContent
    }
    catch {
        Send-Failure $_ 'Removing the failover relationship'
    }
})

New-PSUEndpoint -Url '/api/dhcp/failover/replicate' -Method 'POST' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Replicate the configuration of the given failover scopes to their partner.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $request = Read-JsonBody $Body
        $rawScopeIds = Get-Field $request 'scope_ids'
        if ($null -eq $rawScopeIds -or $rawScopeIds -isnot [array] -or $rawScopeIds.Count -eq 0) {
            throw (New-ApiException 400 "'scope_ids' is required and must be a non-empty array.")
        }
        $scopeIds = [System.Collections.Generic.List[string]]::new()
        foreach ($rawScopeId in $rawScopeIds) {
            $scopeIds.Add((ConvertTo-IPv4String $rawScopeId 'scope_ids'))
        }
        $memberships = Get-FailoverNameMap
        foreach ($scopeId in $scopeIds) {
            $null = Get-ScopeOrFail $scopeId
            if (-not $memberships.ContainsKey($scopeId)) {
                throw (New-ApiException 409 ('Scope {0} is not in any failover relationship.' -f $scopeId))
            }
        }
        $replicateArgs = @{ ScopeId = $scopeIds.ToArray(); Force = $true; ErrorAction = 'Stop' }
        $null = Invoke-DhcpServerv4FailoverReplication @replicateArgs
        Send-Json -Status 200 -Data ([ordered]@{ replicated = $scopeIds.ToArray() })
    }
    catch {
        Send-Failure $_ 'Replicating scopes'
    }
})

New-PSUEndpoint -Url '/api/dhcp/failover/:name/replicate' -Method 'POST' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Replicate all (or the listed) scopes of one relationship to the partner.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $relationshipName = ConvertTo-TextValue ([string]$name) 'name' $MaxNameLength
        $relationship = Get-FailoverByName $relationshipName
        if ($null -eq $relationship) {
            throw (New-ApiException 404 ('Failover relationship {0} not found.' -f $relationshipName))
        }
        $members = [System.Collections.Generic.List[string]]::new()
        foreach ($member in @($relationship.ScopeId)) {
            if ($null -ne $member) {
                $members.Add([string]$member)
            }
        }
        $request = Read-JsonBody $Body -AllowEmpty
        $scopeIds = [System.Collections.Generic.List[string]]::new()
        $rawScopeIds = Get-Field $request 'scope_ids'
        if ($null -ne $rawScopeIds) {
            if ($rawScopeIds -isnot [array]) {
                throw (New-ApiException 400 "'scope_ids' must be an array.")
            }
            foreach ($rawScopeId in $rawScopeIds) {
                $scopeId = ConvertTo-IPv4String $rawScopeId 'scope_ids'
                if (-not $members.Contains($scopeId)) {
                    throw (New-ApiException 404 ('Scope {0} is not in failover relationship {1}.' -f $scopeId, $relationshipName))
                }
                $scopeIds.Add($scopeId)
            }
        }
        if ($scopeIds.Count -eq 0) {
            $replicateArgs = @{ Name = $relationshipName; Force = $true; ErrorAction = 'Stop' }
            $null = Invoke-DhcpServerv4FailoverReplication @replicateArgs
            $scopeIds = $members
        }
        else {
            $replicateArgs = @{ ScopeId = $scopeIds.ToArray(); Force = $true; ErrorAction = 'Stop' }
            $null = Invoke-DhcpServerv4FailoverReplication @replicateArgs
        }
        Send-Json -Status 200 -Data ([ordered]@{ replicated = $scopeIds.ToArray() })
    }
    catch {
        Send-Failure $_ 'Replicating the failover relationship'
    }
})

# =============================================================================================
# Options
# =============================================================================================

New-PSUEndpoint -Url '/api/dhcp/options/server' -Method 'GET' -Authentication -Role $ReaderRoles -Timeout $EndpointTimeout -Description 'Server-level option values.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $result = [System.Collections.Generic.List[object]]::new()
        foreach ($option in @(Get-DhcpServerv4OptionValue -All -ErrorAction Stop)) {
            if ($null -ne $option) {
                $result.Add((ConvertTo-ApiOption $option))
            }
        }
        Send-Json -Status 200 -Data $result.ToArray()
    }
    catch {
        Send-Failure $_ 'Listing server options' -NoNotFound
    }
})

New-PSUEndpoint -Url '/api/dhcp/options' -Method 'GET' -Authentication -Role $ReaderRoles -Timeout $EndpointTimeout -Description 'Scope-level option values of every scope, keyed by scope id.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        if (-not [string]::IsNullOrEmpty([string]$format) -and [string]$format -ne 'grouped') {
            throw (New-ApiException 400 "'format' must be 'grouped'.")
        }
        $byScope = [ordered]@{}
        foreach ($scope in (Get-AllScopes)) {
            $scopeId = [string]$scope.ScopeId
            $byScope[$scopeId] = (Get-ScopeOptions $scopeId).ToArray()
        }
        Send-Json -Status 200 -Data $byScope
    }
    catch {
        Send-Failure $_ 'Listing scope options' -NoNotFound
    }
})

New-PSUEndpoint -Url '/api/dhcp/options/scope/:scope_id' -Method 'GET' -Authentication -Role $ReaderRoles -Timeout $EndpointTimeout -Description 'Option values of one scope (all codes and classes).' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $scopeId = Get-ScopeIdParameter $scope_id
        $null = Get-ScopeOrFail $scopeId
        Send-Json -Status 200 -Data (Get-ScopeOptions $scopeId).ToArray()
    }
    catch {
        Send-Failure $_ 'Listing the scope options'
    }
})

New-PSUEndpoint -Url '/api/dhcp/options/scope/:scope_id/:code' -Method 'PUT' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Set (create or replace) one option value on a scope (OptionPut).' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $scopeId = Get-ScopeIdParameter $scope_id
        $optionCode = ConvertTo-IntegerValue ([string]$code) 'code' 1 254
        $request = Read-JsonBody $Body
        $values = Get-Field $request 'value'
        if ($null -eq $values -or $values -isnot [array]) {
            throw (New-ApiException 400 "'value' must be a non-empty array of strings.")
        }
        $vendorClass = ConvertTo-TextValue (Get-Field $request 'vendor_class') 'vendor_class' $MaxNameLength
        $userClass = ConvertTo-TextValue (Get-Field $request 'user_class') 'user_class' $MaxNameLength
        $null = Get-ScopeOrFail $scopeId
        Set-ScopeOptionValue -ScopeId $scopeId -Code $optionCode -Values $values -VendorClass $vendorClass -UserClass $userClass
        $readArgs = @{ ScopeId = $scopeId; OptionId = [uint32]$optionCode; ErrorAction = 'Stop' }
        if ($vendorClass) {
            $readArgs['VendorClass'] = $vendorClass
        }
        if ($userClass) {
            $readArgs['UserClass'] = $userClass
        }
        $stored = @(Get-DhcpServerv4OptionValue @readArgs)
        if ($stored.Count -eq 0 -or $null -eq $stored[0]) {
            throw (New-ApiException 500 ('Option {0} was set on scope {1} but cannot be read back.' -f $optionCode, $scopeId))
        }
        Send-Json -Status 200 -Data (ConvertTo-ApiOption $stored[0])
    }
    catch {
        Send-Failure $_ 'Setting the scope option'
    }
})

New-PSUEndpoint -Url '/api/dhcp/options/scope/:scope_id/:code' -Method 'DELETE' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Remove one option value from a scope.' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $scopeId = Get-ScopeIdParameter $scope_id
        $optionCode = ConvertTo-IntegerValue ([string]$code) 'code' 1 254
        $vendorClass = ConvertTo-TextValue ([string]$vendor_class) 'vendor_class' $MaxNameLength
        $userClass = ConvertTo-TextValue ([string]$user_class) 'user_class' $MaxNameLength
        $null = Get-ScopeOrFail $scopeId
        Remove-ScopeOptionValue -ScopeId $scopeId -Code $optionCode -VendorClass $vendorClass -UserClass $userClass
        Send-NoContent
    }
    catch {
        Send-Failure $_ 'Removing the scope option'
    }
})

# =============================================================================================
# Exclusions
# =============================================================================================

New-PSUEndpoint -Url '/api/dhcp/exclusions' -Method 'GET' -Authentication -Role $ReaderRoles -Timeout $EndpointTimeout -Description 'Exclusions of one scope (scope_id) or of every scope (format=grouped).' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $grouped = $false
        if (-not [string]::IsNullOrEmpty([string]$format)) {
            if ([string]$format -ne 'grouped') {
                throw (New-ApiException 400 "'format' must be 'grouped'.")
            }
            $grouped = $true
        }
        $hasScope = -not [string]::IsNullOrEmpty([string]$scope_id)
        if ($grouped -eq $hasScope) {
            throw (New-ApiException 400 "Give exactly one of 'scope_id' or 'format=grouped'.")
        }
        if ($grouped) {
            $byScope = [ordered]@{}
            $collected = @{}
            foreach ($scope in (Get-AllScopes)) {
                $scopeId = [string]$scope.ScopeId
                $collected[$scopeId] = [System.Collections.Generic.List[object]]::new()
                $byScope[$scopeId] = $null
            }
            foreach ($exclusion in @(Get-DhcpServerv4ExclusionRange -ErrorAction Stop)) {
                if ($null -eq $exclusion) {
                    continue
                }
                $owner = [string]$exclusion.ScopeId
                if ($collected.ContainsKey($owner)) {
                    $collected[$owner].Add((ConvertTo-ApiExclusion $owner $exclusion.StartRange $exclusion.EndRange))
                }
            }
            foreach ($scopeId in $collected.Keys) {
                $byScope[$scopeId] = $collected[$scopeId].ToArray()
            }
            return (Send-Json -Status 200 -Data $byScope)
        }
        $scopeId = Get-ScopeIdParameter ([string]$scope_id)
        $null = Get-ScopeOrFail $scopeId
        $result = [System.Collections.Generic.List[object]]::new()
        foreach ($exclusion in (Get-ScopeExclusions $scopeId)) {
            $result.Add((ConvertTo-ApiExclusion $scopeId $exclusion.StartRange $exclusion.EndRange))
        }
        Send-Json -Status 200 -Data $result.ToArray()
    }
    catch {
        Send-Failure $_ 'Listing exclusions' -NoNotFound:($grouped -eq $true)
    }
})

New-PSUEndpoint -Url '/api/dhcp/exclusions' -Method 'POST' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Add an exclusion range (ExclusionBody).' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $request = Read-JsonBody $Body
        $scopeId = Get-ScopeIdParameter (Get-Field $request 'scope_id')
        $startIp = ConvertTo-IPv4String (Get-Field $request 'start_ip') 'start_ip'
        $endIp = ConvertTo-IPv4String (Get-Field $request 'end_ip') 'end_ip'
        $startValue = ConvertTo-IPv4Number $startIp
        $endValue = ConvertTo-IPv4Number $endIp
        if ($startValue -gt $endValue) {
            throw (New-ApiException 400 "'start_ip' must not be greater than 'end_ip'.")
        }
        $scope = Get-ScopeOrFail $scopeId
        Assert-InScopeRange $scope $startIp 'start_ip'
        Assert-InScopeRange $scope $endIp 'end_ip'
        foreach ($exclusion in (Get-ScopeExclusions $scopeId)) {
            $otherStart = ConvertTo-IPv4Number ([string]$exclusion.StartRange)
            $otherEnd = ConvertTo-IPv4Number ([string]$exclusion.EndRange)
            if ($startValue -le $otherEnd -and $endValue -ge $otherStart) {
                throw (New-ApiException 409 ('The range overlaps exclusion {0}-{1} of scope {2}.' -f $exclusion.StartRange, $exclusion.EndRange, $scopeId))
            }
        }
        $exclusionArgs = @{ ScopeId = $scopeId; StartRange = $startIp; EndRange = $endIp; ErrorAction = 'Stop' }
        Add-DhcpServerv4ExclusionRange @exclusionArgs
        Send-Json -Status 201 -Data (ConvertTo-ApiExclusion $scopeId $startIp $endIp)
    }
    catch {
        Send-Failure $_ 'Adding the exclusion'
    }
})

New-PSUEndpoint -Url '/api/dhcp/exclusions' -Method 'DELETE' -Authentication -Role $WriterRoles -Timeout $EndpointTimeout -Description 'Remove the exclusion with exactly these bounds (JSON body).' -Endpoint (New-DhcpEndpointScript {
    try {
        Assert-DhcpModule
        $request = Read-JsonBody $Body
        $scopeId = Get-ScopeIdParameter (Get-Field $request 'scope_id')
        $startIp = ConvertTo-IPv4String (Get-Field $request 'start_ip') 'start_ip'
        $endIp = ConvertTo-IPv4String (Get-Field $request 'end_ip') 'end_ip'
        $null = Get-ScopeOrFail $scopeId
        $found = $false
        foreach ($exclusion in (Get-ScopeExclusions $scopeId)) {
            if ([string]$exclusion.StartRange -eq $startIp -and [string]$exclusion.EndRange -eq $endIp) {
                $found = $true
            }
        }
        if (-not $found) {
            throw (New-ApiException 404 ('No exclusion {0}-{1} in scope {2}.' -f $startIp, $endIp, $scopeId))
        }
        $exclusionArgs = @{ ScopeId = $scopeId; StartRange = $startIp; EndRange = $endIp; ErrorAction = 'Stop' }
        Remove-DhcpServerv4ExclusionRange @exclusionArgs
        Send-NoContent
    }
    catch {
        Send-Failure $_ 'Removing the exclusion'
    }
})
