<#
.SYNOPSIS
  Installs the veille agent on Windows 10/11 (run as an administrator).
.DESCRIPTION
  Mode Task (default): a scheduled task that starts "veille-agent run" at boot as SYSTEM and
  restarts it if it stops. No extra software.
  Mode Service: a Windows service through WinSW (give the path of WinSW-x64.exe, which the
  authority downloads and vets itself); Python cannot talk to the service manager alone.
  SYSTEM can run "powercfg /requests" (sleep blockers). It cannot see the user's input:
  install-idle-helper.ps1 adds the per-session helper for that; this script calls it.
.EXAMPLE
  .\install-agent.ps1 -Python 'C:\Program Files\veille\venv\Scripts\python.exe' -Config .\agent.toml
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)][string]$Python,
    [Parameter(Mandatory = $true)][string]$Config,
    [ValidateSet('Task', 'Service')][string]$Mode = 'Task',
    [string]$WinSW,
    [string]$DataDir = "$env:ProgramData\veille",
    [switch]$NoIdleHelper
)
$ErrorActionPreference = 'Stop'

New-Item -ItemType Directory -Force -Path $DataDir | Out-Null
$conf = Join-Path $DataDir 'agent.toml'
Copy-Item -Force -Path $Config -Destination $conf
# Only SYSTEM and administrators read the configuration (it may name the broker account).
icacls $DataDir /inheritance:r /grant:r 'SYSTEM:(OI)(CI)F' 'Administrators:(OI)(CI)F' | Out-Null

& $Python -m agent.cli check --config $conf
if ($LASTEXITCODE -eq 2) { throw "agent.toml is not valid (see above)" }

$arguments = "-m agent.cli run --config `"$conf`""
if ($Mode -eq 'Task') {
    $action = New-ScheduledTaskAction -Execute $Python -Argument $arguments -WorkingDirectory $DataDir
    $trigger = New-ScheduledTaskTrigger -AtStartup
    $principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
    $settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) `
        -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) `
        -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -StartWhenAvailable
    Register-ScheduledTask -TaskName 'veille-agent' -TaskPath '\veille\' -Action $action `
        -Trigger $trigger -Principal $principal -Settings $settings -Force | Out-Null
    Start-ScheduledTask -TaskPath '\veille\' -TaskName 'veille-agent'
} else {
    if (-not $WinSW -or -not (Test-Path $WinSW)) { throw "-Mode Service needs -WinSW <path to WinSW-x64.exe>" }
    $svcExe = Join-Path $DataDir 'veille-agent-service.exe'
    Copy-Item -Force $WinSW $svcExe
    @"
<service>
  <id>veille-agent</id>
  <name>veille agent</name>
  <description>Power, uptime and sleep evidence of this PC, sent to the veille collector.</description>
  <executable>$Python</executable>
  <arguments>$arguments</arguments>
  <workingdirectory>$DataDir</workingdirectory>
  <startmode>Automatic</startmode>
  <onfailure action="restart" delay="60 sec"/>
  <stoptimeout>15 sec</stoptimeout>
  <log mode="roll-by-size"><sizeThreshold>1024</sizeThreshold><keepFiles>3</keepFiles></log>
</service>
"@ | Set-Content -Encoding UTF8 -Path (Join-Path $DataDir 'veille-agent-service.xml')
    & $svcExe install
    & $svcExe start
}

if (-not $NoIdleHelper) { & (Join-Path $PSScriptRoot 'install-idle-helper.ps1') }
Write-Host "veille agent installed ($Mode); configuration in $conf"
