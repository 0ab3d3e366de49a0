<#
.SYNOPSIS
  Removes the veille agent and its idle helper (run as an administrator). The spool and the
  configuration in %ProgramData%\veille are kept unless -Purge is given.
#>
[CmdletBinding()]
param([switch]$Purge)
$ErrorActionPreference = 'Continue'
foreach ($task in 'veille-agent', 'veille-idle-helper') {
    Stop-ScheduledTask -TaskPath '\veille\' -TaskName $task -ErrorAction SilentlyContinue
    Unregister-ScheduledTask -TaskPath '\veille\' -TaskName $task -Confirm:$false -ErrorAction SilentlyContinue
}
$svcExe = Join-Path $env:ProgramData 'veille\veille-agent-service.exe'
if (Test-Path $svcExe) { & $svcExe stop; & $svcExe uninstall }
Get-Process -Name 'veille-idle-helper' -ErrorAction SilentlyContinue | Stop-Process -Force
if ($Purge) { Remove-Item -Recurse -Force (Join-Path $env:ProgramData 'veille') }
Write-Host 'veille agent removed'
