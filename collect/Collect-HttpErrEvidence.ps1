#Requires -Version 5.1
<#
.SYNOPSIS
    Collects the evidence httperr-doctor reads from this Windows web server into one zip.

.DESCRIPTION
    Runs only commands that read: systeminfo, bcdedit /enum, reg query, netsh http show
    servicestate, netstat -ano, wevtutil qe, typeperf and poolmon /n (when poolmon.exe is
    there). It copies the HTTPERR and IIS logs written within the last -Hours, plus
    applicationHost.config and boot.ini. Nothing on the server is changed, nothing is
    installed and nothing is sent anywhere: the result is one zip next to this script
    (or in -OutputDirectory), named after the server and the time, to attach to a ticket.

    MANIFEST.txt in the zip lists every file with the command or path it came from, and
    every step that failed or was skipped and why. A missing tool (no poolmon.exe, no IIS,
    no HTTP counters) is recorded and the rest is still collected.

    The steps are the same as in docs/COLLECTING.md, which also covers Windows Server 2003
    and 2008, where PowerShell 5.1 cannot be installed. Run it elevated ("Run as
    administrator"): bcdedit and the HTTPERR folder need it.

.PARAMETER Hours
    Copy logs and export events written within this many hours before the sampling ends.

.PARAMETER SampleSeconds
    How long to sample the performance counters (typeperf) and take PoolMon snapshots.
    Run it while the problem is happening. 0 skips the sampling.

.PARAMETER IntervalSeconds
    Seconds between two counter samples.

.PARAMETER PoolSnapshots
    How many PoolMon snapshots to take, spread over the sampling time (0 for none, at most 9).

.PARAMETER OutputDirectory
    Where the zip is written (default: the folder holding this script).

.PARAMETER PoolmonPath
    Full path of poolmon.exe when it is not next to this script, on the PATH, in the
    Support Tools folder or in a Windows Kits (WDK) Tools folder.

.PARAMETER MaxLogMB
    Upper limit for the copied HTTPERR and IIS logs together; the newest files are kept.

.PARAMETER KeepFolder
    Keep the folder the zip was made from (it is removed by default).

.EXAMPLE
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\Collect-HttpErrEvidence.ps1

.EXAMPLE
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\Collect-HttpErrEvidence.ps1 -Hours 72 -SampleSeconds 1800 -IntervalSeconds 30
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 2160)]
    [int] $Hours = 24,
    [ValidateRange(0, 86400)]
    [int] $SampleSeconds = 600,
    [ValidateRange(1, 3600)]
    [int] $IntervalSeconds = 15,
    [ValidateRange(0, 9)]
    [int] $PoolSnapshots = 3,
    [string] $OutputDirectory = $PSScriptRoot,
    [string] $PoolmonPath = '',
    [ValidateRange(1, 100000)]
    [int] $MaxLogMB = 1024,
    [switch] $KeepFolder
)

$CollectorVersion = '1.0'

# One row per evidence file. docs/COLLECTING.md shows the same file names and commands,
# and Kind is what httperr-doctor detects the file as; tests/test_collector.py checks both.
# {WindowMilliseconds}, {IntervalSeconds}, {SampleCount} and {N} are filled in at run time.
$Commands = @(
    @{ File = 'systeminfo.txt'; Kind = 'systeminfo'; Exe = 'systeminfo'; Args = @() }
    @{ File = 'bcdedit-enum.txt'; Kind = 'bcdedit'; Exe = 'bcdedit'; Args = @('/enum') }
    @{ File = 'reg-http-parameters.txt'; Kind = 'regquery'; Exe = 'reg'; Args = @('query', 'HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters') }
    @{ File = 'netsh-http-servicestate.txt'; Kind = 'netsh'; Exe = 'netsh'; Args = @('http', 'show', 'servicestate') }
    @{ File = 'netsh-http-urlacl.txt'; Kind = 'urlacl'; Exe = 'netsh'; Args = @('http', 'show', 'urlacl') }
    @{ File = 'netsh-http-iplisten.txt'; Kind = 'iplisten'; Exe = 'netsh'; Args = @('http', 'show', 'iplisten') }
    @{ File = 'netstat-ano.txt'; Kind = 'netstat'; Exe = 'netstat'; Args = @('-ano') }
)
$EventExports = @(
    @{ File = 'system-events.txt'; Kind = 'eventlog'; Exe = 'wevtutil'; Args = @('qe', 'System', '/q:*[System[TimeCreated[timediff(@SystemTime)<={WindowMilliseconds}]]]', '/f:text') }
    @{ File = 'application-events.txt'; Kind = 'eventlog'; Exe = 'wevtutil'; Args = @('qe', 'Application', '/q:*[System[TimeCreated[timediff(@SystemTime)<={WindowMilliseconds}]]]', '/f:text') }
)
$Sampling = @(
    @{ File = 'perf-counters.csv'; Kind = 'perfmon'; Exe = 'typeperf'; Args = @('-cf', 'counters.txt', '-si', '{IntervalSeconds}', '-sc', '{SampleCount}', '-f', 'CSV', '-o', 'perf-counters.csv', '-y') }
    @{ File = 'poolsnap-{N}.log'; Kind = 'poolmon'; Exe = 'poolmon'; Args = @('/b', '/n', 'poolsnap-{N}.log') }
)
$Copies = @(
    @{ File = 'applicationHost.config'; Kind = 'appconfig'; From = '%windir%\System32\inetsrv\config\applicationHost.config' }
    @{ File = 'boot.ini'; Kind = 'bootini'; From = '%SystemDrive%\boot.ini' }
)
$LogFolders = @(
    @{ File = 'HTTPERR\httperr*.log'; Kind = 'httperr'; From = '%SystemRoot%\System32\LogFiles\HTTPERR' }
    @{ File = 'W3SVC<site id>\*.log'; Kind = 'iislog'; From = '%SystemDrive%\inetpub\logs\LogFiles\W3SVC<site id>' }
)
$Counters = @(
    '\Memory\Pool Nonpaged Bytes'
    '\Memory\Pool Paged Bytes'
    '\Memory\Available MBytes'
    '\Processor(_Total)\% Processor Time'
    '\HTTP Service Request Queues(*)\CurrentQueueSize'
    '\HTTP Service Request Queues(*)\RejectedRequests'
    '\HTTP Service Request Queues(*)\ArrivalRate'
    '\HTTP Service Request Queues(*)\MaxQueueItemAge'
    '\Web Service(_Total)\Current Connections'
    '\TCPv4\Connections Established'
)

# A 32-bit PowerShell on 64-bit Windows sees SysWOW64 instead of System32 (no bcdedit, no
# applicationHost.config): start the 64-bit one with the same parameters instead.
if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
    $native = Join-Path $env:windir 'Sysnative\WindowsPowerShell\v1.0\powershell.exe'
    $forward = @('-NoProfile', '-ExecutionPolicy', 'Bypass', '-File', $PSCommandPath)
    foreach ($entry in $PSBoundParameters.GetEnumerator()) {
        if ($entry.Value -is [System.Management.Automation.SwitchParameter]) {
            if ($entry.Value.IsPresent) { $forward += "-$($entry.Key)" }
        } else {
            $forward += "-$($entry.Key)"
            $forward += "$($entry.Value)"
        }
    }
    & $native @forward
    exit $LASTEXITCODE
}

$Manifest = New-Object System.Collections.ArrayList

function Add-ManifestEntry {
    param([string] $Status, [string] $File, [string] $Source, [string] $Detail = '')
    [void] $Manifest.Add([pscustomobject] @{ Status = $Status; File = $File; Source = $Source; Detail = $Detail })
    $line = '{0,-8} {1,-30} {2}' -f $Status, $File, $Detail
    if ($Status -eq 'ok') { Write-Host $line } else { Write-Warning $line }
}

function Format-Argument {
    # Start-Process joins its arguments with spaces and quotes nothing.
    param([string] $Value)
    if ($Value -match '[\s"]') { return '"' + $Value.Replace('"', '\"') + '"' }
    return $Value
}

function Get-CommandLine {
    param([hashtable] $Step, [hashtable] $Values)
    $parts = @($Step.Exe) + @(Expand-Arguments -Arguments $Step.Args -Values $Values)
    return ($parts | ForEach-Object { Format-Argument $_ }) -join ' '
}

function Expand-Arguments {
    param([string[]] $Arguments, [hashtable] $Values)
    $expanded = @()
    foreach ($argument in $Arguments) {
        $text = $argument
        foreach ($key in $Values.Keys) { $text = $text.Replace('{' + $key + '}', [string] $Values[$key]) }
        $expanded += $text
    }
    return $expanded
}

function Find-Application {
    param([string] $Name)
    $found = Get-Command -Name $Name -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($found) { return $found.Path }
    return $null
}

function Write-TextFile {
    # UTF-8 with a byte-order mark and CRLF, whatever the console's code page was.
    param([string] $Path, [string[]] $Lines)
    $encoding = New-Object System.Text.UTF8Encoding($true)
    [System.IO.File]::WriteAllLines($Path, [string[]] $Lines, $encoding)
}

function Invoke-Capture {
    # Runs one read-only console command and saves what it printed; never throws.
    param([hashtable] $Step, [string] $Folder, [hashtable] $Values)
    $shown = Get-CommandLine -Step $Step -Values $Values
    $exe = Find-Application $Step.Exe
    if (-not $exe) {
        Add-ManifestEntry 'skipped' $Step.File $shown "$($Step.Exe) is not on this server"
        return
    }
    $arguments = @(Expand-Arguments -Arguments $Step.Args -Values $Values)
    $lines = New-Object System.Collections.ArrayList
    $errors = New-Object System.Collections.ArrayList
    $previous = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        & $exe @arguments 2>&1 | ForEach-Object {
            if ($_ -is [System.Management.Automation.ErrorRecord]) { [void] $errors.Add($_.ToString()) }
            else { [void] $lines.Add([string] $_) }
        }
        $exitCode = $LASTEXITCODE
    } catch {
        [void] $errors.Add($_.Exception.Message)
        $exitCode = -1
    } finally {
        $ErrorActionPreference = $previous
    }
    $path = Join-Path $Folder $Step.File
    if ($exitCode -eq 0 -and $lines.Count -eq 0) {
        Add-ManifestEntry 'skipped' $Step.File $shown 'the command printed nothing (no events in the window?)'
        return
    }
    if ($exitCode -ne 0) {
        $why = (@($errors) + @($lines) | Where-Object { "$_".Trim() } | Select-Object -First 2) -join ' '
        Add-ManifestEntry 'failed' $Step.File $shown ("exit code $exitCode $why".Trim())
        return
    }
    Write-TextFile -Path $path -Lines ([string[]] $lines)
    Add-ManifestEntry 'ok' $Step.File $shown "$($lines.Count) lines"
}

function Resolve-WindowsPath {
    param([string] $Path)
    return [Environment]::ExpandEnvironmentVariables($Path)
}

function Copy-SharedFile {
    # HTTP.sys and IIS keep today's log open for writing: open it the way they allow.
    param([string] $From, [string] $To)
    $share = [System.IO.FileShare]::ReadWrite -bor [System.IO.FileShare]::Delete
    $source = [System.IO.File]::Open($From, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, $share)
    try {
        $target = [System.IO.File]::Open($To, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::Write)
        try { $source.CopyTo($target) } finally { $target.Dispose() }
    } finally {
        $source.Dispose()
    }
}

function Copy-OneFile {
    param([hashtable] $Copy, [string] $Folder)
    $from = Resolve-WindowsPath $Copy.From
    if (-not (Test-Path -LiteralPath $from -PathType Leaf)) {
        Add-ManifestEntry 'skipped' $Copy.File $Copy.From "$from does not exist on this server"
        return
    }
    try {
        Copy-SharedFile -From $from -To (Join-Path $Folder $Copy.File)
        Add-ManifestEntry 'ok' $Copy.File $Copy.From $from
    } catch {
        Add-ManifestEntry 'failed' $Copy.File $Copy.From $_.Exception.Message
    }
}

function Get-HttpErrFolder {
    # ErrorLoggingDir moves the log; HTTP.sys writes into its HTTPERR subfolder.
    $folder = Resolve-WindowsPath '%SystemRoot%\System32\LogFiles'
    $key = 'HKLM:\SYSTEM\CurrentControlSet\Services\HTTP\Parameters'
    $setting = Get-ItemProperty -LiteralPath $key -Name 'ErrorLoggingDir' -ErrorAction SilentlyContinue
    if ($setting -and $setting.ErrorLoggingDir) { $folder = Resolve-WindowsPath $setting.ErrorLoggingDir }
    return Join-Path $folder 'HTTPERR'
}

function Get-IisLogFolders {
    # Site ids and log folders from applicationHost.config; IIS's default folder otherwise.
    param([string] $ConfigPath)
    $folders = [ordered] @{}
    $default = '%SystemDrive%\inetpub\logs\LogFiles'
    if (Test-Path -LiteralPath $ConfigPath -PathType Leaf) {
        try {
            $config = New-Object System.Xml.XmlDocument
            $config.XmlResolver = $null
            $config.Load($ConfigPath)
            $sites = $config.SelectSingleNode('/configuration/system.applicationHost/sites')
            if ($sites) {
                $defaults = $sites.SelectSingleNode('siteDefaults/logFile/@directory')
                if ($defaults) { $default = $defaults.Value }
                foreach ($site in $sites.SelectNodes('site')) {
                    $id = $site.GetAttribute('id')
                    if (-not $id) { continue }
                    $directory = $site.SelectSingleNode('logFile/@directory')
                    $root = if ($directory) { $directory.Value } else { $default }
                    $folders["W3SVC$id"] = Join-Path (Resolve-WindowsPath $root) "W3SVC$id"
                }
            }
        } catch {
            Add-ManifestEntry 'failed' 'W3SVC<site id>' $ConfigPath "could not read the site list: $($_.Exception.Message)"
        }
    }
    if ($folders.Count -eq 0) {
        $root = Resolve-WindowsPath $default
        if (Test-Path -LiteralPath $root) {
            foreach ($found in Get-ChildItem -LiteralPath $root -Directory -Filter 'W3SVC*' -ErrorAction SilentlyContinue) {
                $folders[$found.Name] = $found.FullName
            }
        }
    }
    return , $folders
}

function Copy-RecentLogs {
    # Logs written since $Since, newest first, within what is left of -MaxLogMB.
    param([string] $From, [string] $Filter, [string] $To, [string] $Label, [datetime] $Since)
    if (-not (Test-Path -LiteralPath $From -PathType Container)) {
        Add-ManifestEntry 'skipped' $Label $From "the folder does not exist on this server"
        return
    }
    try {
        $recent = @(Get-ChildItem -LiteralPath $From -File -Filter $Filter -ErrorAction Stop |
            Where-Object { $_.LastWriteTime -ge $Since } | Sort-Object LastWriteTime -Descending)
    } catch {
        Add-ManifestEntry 'failed' $Label $From $_.Exception.Message
        return
    }
    if ($recent.Count -eq 0) {
        Add-ManifestEntry 'skipped' $Label $From "no $Filter written since $($Since.ToString('yyyy-MM-dd HH:mm'))"
        return
    }
    New-Item -ItemType Directory -Path $To -Force | Out-Null
    foreach ($file in $recent) {
        $relative = "$(Split-Path -Leaf $To)\$($file.Name)"
        if ($file.Length -gt $script:LogBytesLeft) {
            Add-ManifestEntry 'skipped' $relative $file.FullName "over the -MaxLogMB $MaxLogMB limit; older files were left out"
            continue
        }
        try {
            Copy-SharedFile -From $file.FullName -To (Join-Path $To $file.Name)
            $script:LogBytesLeft -= $file.Length
            Add-ManifestEntry 'ok' $relative $file.FullName "$($file.Length) bytes, last written $($file.LastWriteTime.ToString('yyyy-MM-dd HH:mm'))"
        } catch {
            Add-ManifestEntry 'failed' $relative $file.FullName $_.Exception.Message
        }
    }
}

function Find-Poolmon {
    # Server 2003: Support Tools; later: the WDK's Tools folder. It is a copy-and-run exe.
    if ($PoolmonPath) {
        if (Test-Path -LiteralPath $PoolmonPath -PathType Leaf) { return $PoolmonPath }
        return $null
    }
    $beside = Join-Path $PSScriptRoot 'poolmon.exe'
    if (Test-Path -LiteralPath $beside -PathType Leaf) { return $beside }
    $onPath = Find-Application 'poolmon'
    if ($onPath) { return $onPath }
    $arch = if ([Environment]::Is64BitOperatingSystem) { 'x64' } else { 'x86' }
    if ($env:PROCESSOR_ARCHITECTURE -eq 'ARM64') { $arch = 'arm64' }
    $roots = @("$env:ProgramFiles\Support Tools", "${env:ProgramFiles(x86)}\Windows Kits", "$env:ProgramFiles\Windows Kits")
    foreach ($root in $roots) {
        if (-not $root -or -not (Test-Path -LiteralPath $root)) { continue }
        $match = Get-ChildItem -LiteralPath $root -Recurse -File -Filter 'poolmon.exe' -ErrorAction SilentlyContinue |
            Where-Object { $_.FullName -match "\\$arch\\" -or $root -like '*Support Tools' } | Select-Object -First 1
        if ($match) { return $match.FullName }
    }
    return $null
}

function Start-Tool {
    # For tools that write their own output file (typeperf -o, poolmon /n).
    param([string] $Exe, [string[]] $Arguments, [string] $WorkFolder, [string] $Name)
    $quoted = ($Arguments | ForEach-Object { Format-Argument $_ }) -join ' '
    $console = Join-Path $WorkFolder "$Name.console.txt"
    $problems = Join-Path $WorkFolder "$Name.errors.txt"
    return Start-Process -FilePath $Exe -ArgumentList $quoted -WorkingDirectory $WorkFolder -NoNewWindow -PassThru `
        -RedirectStandardOutput $console -RedirectStandardError $problems
}

function Get-ToolArguments {
    # The output file named in the step is given its full path in the evidence folder.
    param([hashtable] $Step, [hashtable] $Values, [string] $File, [string] $Folder)
    $arguments = @()
    foreach ($argument in Expand-Arguments -Arguments $Step.Args -Values $Values) {
        if ($argument -eq $File) { $arguments += Join-Path $Folder $File } else { $arguments += $argument }
    }
    return , $arguments
}

function Get-ToolMessage {
    param([string] $WorkFolder, [string] $Name)
    $text = @()
    foreach ($suffix in 'errors', 'console') {
        $path = Join-Path $WorkFolder "$Name.$suffix.txt"
        if (Test-Path -LiteralPath $path) { $text += Get-Content -LiteralPath $path | Where-Object { $_.Trim() } }
    }
    return (($text | Select-Object -Last 2) -join ' ')
}

function Wait-Tool {
    param([System.Diagnostics.Process] $Process, [int] $Seconds)
    if (-not $Process.WaitForExit($Seconds * 1000)) {
        $Process.Kill()
        return $false
    }
    return $true
}

function Get-AvailableCounters {
    # Objects missing here (no IIS, or an OS before 2008) would make typeperf refuse the list.
    $available = @()
    $missing = @()
    foreach ($counter in $Counters) {
        $object = ($counter -replace '^\\([^\\(]+).*$', '$1')
        try { $exists = [System.Diagnostics.PerformanceCounterCategory]::Exists($object) } catch { $exists = $false }
        if ($exists) { $available += $counter } else { $missing += $counter }
    }
    # Counter names are translated on a localised Windows: then keep the list and let typeperf say.
    if (-not ($available | Where-Object { $_ -like '\Memory\*' })) { return @{ Available = @($Counters); Missing = @() } }
    return @{ Available = $available; Missing = $missing }
}

function Invoke-Sampling {
    param([string] $Folder, [string] $WorkFolder)
    $typeperfStep = $Sampling[0]
    $poolmonStep = $Sampling[1]
    $count = [Math]::Max(1, [int] [Math]::Ceiling($SampleSeconds / $IntervalSeconds))
    $values = @{ IntervalSeconds = $IntervalSeconds; SampleCount = $count }
    $shown = Get-CommandLine -Step $typeperfStep -Values $values
    $typeperf = $null
    $typeperfExe = Find-Application $typeperfStep.Exe
    if ($SampleSeconds -eq 0) {
        Add-ManifestEntry 'skipped' $typeperfStep.File $shown 'sampling was turned off (-SampleSeconds 0)'
    } elseif (-not $typeperfExe) {
        Add-ManifestEntry 'skipped' $typeperfStep.File $shown 'typeperf is not on this server'
    } else {
        $counters = Get-AvailableCounters
        foreach ($counter in $counters.Missing) { Add-ManifestEntry 'skipped' $typeperfStep.File $counter 'this counter set is not on this server' }
        [System.IO.File]::WriteAllLines((Join-Path $WorkFolder 'counters.txt'), [string[]] $counters.Available)
        $arguments = Get-ToolArguments -Step $typeperfStep -Values $values -File $typeperfStep.File -Folder $Folder
        try {
            $typeperf = Start-Tool -Exe $typeperfExe -Arguments $arguments -WorkFolder $WorkFolder -Name 'typeperf'
        } catch {
            Add-ManifestEntry 'failed' $typeperfStep.File $shown $_.Exception.Message
        }
    }

    $poolmon = Find-Poolmon
    $snapshots = if ($SampleSeconds -eq 0) { [Math]::Min($PoolSnapshots, 1) } else { $PoolSnapshots }
    $started = Get-Date
    for ($n = 1; $n -le $snapshots; $n++) {
        if ($snapshots -gt 1 -and $n -gt 1) {
            $due = $started.AddSeconds($SampleSeconds * ($n - 1) / ($snapshots - 1))
            $wait = ($due - (Get-Date)).TotalSeconds
            if ($wait -gt 0) { Start-Sleep -Seconds ([int] [Math]::Ceiling($wait)) }
        }
        $file = $poolmonStep.File.Replace('{N}', "$n")
        $shownSnapshot = Get-CommandLine -Step $poolmonStep -Values @{ N = $n }
        if (-not $poolmon) {
            Add-ManifestEntry 'skipped' $file $shownSnapshot 'poolmon.exe not found: copy it next to this script or give -PoolmonPath (docs/COLLECTING.md says where it comes from)'
            break
        }
        $arguments = Get-ToolArguments -Step $poolmonStep -Values @{ N = $n } -File $file -Folder $Folder
        try {
            $process = Start-Tool -Exe $poolmon -Arguments $arguments -WorkFolder $WorkFolder -Name "poolmon-$n"
            $finished = Wait-Tool -Process $process -Seconds 60
            if ($finished -and (Test-Path -LiteralPath (Join-Path $Folder $file))) {
                Add-ManifestEntry 'ok' $file $shownSnapshot "snapshot at $((Get-Date).ToString('yyyy-MM-dd HH:mm:ss'))"
            } else {
                $message = Get-ToolMessage -WorkFolder $WorkFolder -Name "poolmon-$n"
                Add-ManifestEntry 'failed' $file $shownSnapshot "no snapshot written $message"
            }
        } catch {
            Add-ManifestEntry 'failed' $file $shownSnapshot $_.Exception.Message
        }
    }

    if ($typeperf) {
        $finished = Wait-Tool -Process $typeperf -Seconds ($SampleSeconds + 120)
        $csv = Join-Path $Folder $typeperfStep.File
        if ($finished -and (Test-Path -LiteralPath $csv)) {
            Add-ManifestEntry 'ok' $typeperfStep.File $shown "$count samples every $IntervalSeconds s"
        } else {
            $message = Get-ToolMessage -WorkFolder $WorkFolder -Name 'typeperf'
            Add-ManifestEntry 'failed' $typeperfStep.File $shown "typeperf wrote no samples $message"
        }
    }
}

function Write-Manifest {
    param([string] $Path, [datetime] $Started, [datetime] $Since, [bool] $Elevated)
    $os = Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction SilentlyContinue
    $windows = 'unknown'
    if ($os) { $windows = '{0} {1}' -f $os.Caption, $os.Version }
    $rights = 'yes'
    if (-not $Elevated) { $rights = 'no (bcdedit and the HTTPERR folder need Run as administrator)' }
    $lines = @(
        'httperr-doctor evidence bundle'
        "collector: Collect-HttpErrEvidence.ps1 $CollectorVersion"
        "server: $env:COMPUTERNAME"
        "windows: $windows"
        "powershell: $($PSVersionTable.PSVersion)"
        "elevated: $rights"
        "started: $($Started.ToString('yyyy-MM-dd HH:mm:ss zzz'))"
        "finished: $((Get-Date).ToString('yyyy-MM-dd HH:mm:ss zzz'))"
        "logs since: $($Since.ToString('yyyy-MM-dd HH:mm:ss zzz')) (-Hours $Hours)"
        "sampling: -SampleSeconds $SampleSeconds -IntervalSeconds $IntervalSeconds -PoolSnapshots $PoolSnapshots"
        ''
        'status   file                           what it came from | detail'
    )
    foreach ($entry in $Manifest) {
        $lines += ('{0,-8} {1,-30} {2} | {3}' -f $entry.Status, $entry.File, $entry.Source, $entry.Detail)
    }
    Write-TextFile -Path $Path -Lines $lines
}

function Write-EvidenceZip {
    # Entries use forward slashes, whatever the .NET version would pick on its own.
    param([string] $Folder, [string] $ZipPath)
    Add-Type -AssemblyName System.IO.Compression
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $root = (Resolve-Path -LiteralPath $Folder).Path.TrimEnd('\')
    $prefix = Split-Path -Leaf $root
    $stream = [System.IO.File]::Open($ZipPath, [System.IO.FileMode]::CreateNew)
    try {
        $zip = New-Object System.IO.Compression.ZipArchive($stream, [System.IO.Compression.ZipArchiveMode]::Create)
        try {
            foreach ($file in Get-ChildItem -LiteralPath $root -Recurse -File) {
                $relative = $file.FullName.Substring($root.Length + 1).Replace('\', '/')
                [void] [System.IO.Compression.ZipFileExtensions]::CreateEntryFromFile(
                    $zip, $file.FullName, "$prefix/$relative", [System.IO.Compression.CompressionLevel]::Optimal)
            }
        } finally {
            $zip.Dispose()
        }
    } finally {
        $stream.Dispose()
    }
}

$started = Get-Date
$since = $started.AddHours(-$Hours)
$identity = [Security.Principal.WindowsIdentity]::GetCurrent()
$elevated = (New-Object Security.Principal.WindowsPrincipal($identity)).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
if (-not $elevated) { Write-Warning 'Not running as administrator: bcdedit and the HTTPERR logs will be missing.' }

$name = '{0}-httperr-evidence-{1}' -f $env:COMPUTERNAME, $started.ToString('yyyyMMdd-HHmmss')
if (-not (Test-Path -LiteralPath $OutputDirectory)) { New-Item -ItemType Directory -Path $OutputDirectory | Out-Null }
$folder = Join-Path (Resolve-Path -LiteralPath $OutputDirectory).Path $name
$work = Join-Path ([System.IO.Path]::GetTempPath()) "$name-work"
New-Item -ItemType Directory -Path $folder | Out-Null
New-Item -ItemType Directory -Path $work | Out-Null
$script:LogBytesLeft = [int64] $MaxLogMB * 1MB

Write-Host "Collecting into $folder"
foreach ($step in $Commands) { Invoke-Capture -Step $step -Folder $folder -Values @{} }
foreach ($copy in $Copies) { Copy-OneFile -Copy $copy -Folder $folder }

if ($SampleSeconds -gt 0) { Write-Host "Sampling counters for $SampleSeconds seconds; leave this window open." }
Invoke-Sampling -Folder $folder -WorkFolder $work

$windowMilliseconds = [int64] ((Get-Date) - $since).TotalMilliseconds
foreach ($step in $EventExports) { Invoke-Capture -Step $step -Folder $folder -Values @{ WindowMilliseconds = $windowMilliseconds } }

Copy-RecentLogs -From (Get-HttpErrFolder) -Filter 'httperr*.log' -To (Join-Path $folder 'HTTPERR') -Label 'HTTPERR\httperr*.log' -Since $since
$appHost = $Copies | Where-Object { $_.File -eq 'applicationHost.config' }
$iisFolders = Get-IisLogFolders -ConfigPath (Resolve-WindowsPath $appHost.From)
if ($iisFolders.Count -eq 0) { Add-ManifestEntry 'skipped' 'W3SVC<site id>\*.log' $LogFolders[1].From 'no IIS sites or log folders found' }
foreach ($site in $iisFolders.Keys) {
    Copy-RecentLogs -From $iisFolders[$site] -Filter '*.log' -To (Join-Path $folder $site) -Label "$site\*.log" -Since $since
}

Write-Manifest -Path (Join-Path $folder 'MANIFEST.txt') -Started $started -Since $since -Elevated $elevated
$zipPath = "$folder.zip"
try {
    Write-EvidenceZip -Folder $folder -ZipPath $zipPath
} catch {
    Write-Warning "Could not write the zip: $($_.Exception.Message). The files are in $folder; zip that folder by hand."
    exit 1
}
if (-not $KeepFolder) { Remove-Item -LiteralPath $folder -Recurse -Force }
Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue

$failed = @($Manifest | Where-Object { $_.Status -ne 'ok' }).Count
Write-Host ''
Write-Host "Done: $zipPath"
Write-Host "$(@($Manifest | Where-Object { $_.Status -eq 'ok' }).Count) files collected; $failed steps skipped or failed (see MANIFEST.txt in the zip)."
Write-Host 'Attach the zip to the ticket. It holds client addresses and host names: httperr-doctor --redact removes them from reports.'
