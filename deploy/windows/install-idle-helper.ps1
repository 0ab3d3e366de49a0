<#
.SYNOPSIS
  Installs the veille per-session idle helper (run as an administrator).
.DESCRIPTION
  GetLastInputInfo only works inside the user's session, so the agent (a service or a
  SYSTEM task in session 0) cannot see the user's input. This script compiles IdleHelper.cs
  into veille-idle-helper.exe and registers a scheduled task that starts it at every user
  logon, in that user's session, without elevation. Each session writes
  %ProgramData%\veille\idle\<session>.json; the agent reads the freshest ones.
#>
[CmdletBinding()]
param(
    [string]$InstallDir = "$env:ProgramFiles\veille",
    [int]$PeriodSeconds = 30
)
$ErrorActionPreference = 'Stop'

New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
$exe = Join-Path $InstallDir 'veille-idle-helper.exe'
$source = Get-Content -Raw -Path (Join-Path $PSScriptRoot 'IdleHelper.cs')
Add-Type -TypeDefinition $source -OutputAssembly $exe -OutputType WindowsApplication

# Users may create their own session file; only SYSTEM and administrators read them all.
$idleDir = Join-Path $env:ProgramData 'veille\idle'
New-Item -ItemType Directory -Force -Path $idleDir | Out-Null
$acl = Get-Acl $idleDir
$acl.SetAccessRuleProtection($true, $false)
$rules = @(
    @('NT AUTHORITY\SYSTEM', 'FullControl', 'ContainerInherit,ObjectInherit'),
    @('BUILTIN\Administrators', 'FullControl', 'ContainerInherit,ObjectInherit'),
    @('BUILTIN\Users', 'CreateFiles,AppendData,ReadAndExecute', 'None'),
    @('CREATOR OWNER', 'Modify', 'ContainerInherit,ObjectInherit')
)
foreach ($r in $rules) {
    $sid = (New-Object System.Security.Principal.NTAccount($r[0])).Translate([System.Security.Principal.SecurityIdentifier])
    $rule = New-Object System.Security.AccessControl.FileSystemAccessRule($sid, $r[1], $r[2], 'None', 'Allow')
    $acl.AddAccessRule($rule)
}
Set-Acl -Path $idleDir -AclObject $acl

$action = New-ScheduledTaskAction -Execute $exe -Argument "$PeriodSeconds"
$trigger = New-ScheduledTaskTrigger -AtLogOn
# BUILTIN\Users (S-1-5-32-545): runs in each user's own session, not elevated.
$principal = New-ScheduledTaskPrincipal -GroupId 'S-1-5-32-545' -RunLevel Limited
$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) `
    -MultipleInstances Parallel -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries `
    -Hidden
Register-ScheduledTask -TaskName 'veille-idle-helper' -TaskPath '\veille\' -Action $action `
    -Trigger $trigger -Principal $principal -Settings $settings -Force | Out-Null
Write-Host "veille idle helper installed: $exe (starts at each logon, writes $idleDir)"
