// veille per-session idle helper: writes the seconds since the last keyboard/mouse input of
// THIS session to %ProgramData%\veille\idle\<session id>.json every 30 s.
//
// Why: GetLastInputInfo only sees the session it runs in, and the agent runs as a service
// (session 0), so it cannot see the user's input. This helper runs in each user's session
// (scheduled task at logon, see install-idle-helper.ps1). It writes no user name, no window
// title, no keystroke: only {"session": N, "idle_seconds": S, "screensaver": true|false,
// "written_at": "UTC time"}. The screensaver is the user's own setting (HKCU), which a
// service running as SYSTEM cannot read.
// Compiled by install-idle-helper.ps1 with Add-Type (no SDK needed); about 5 MB of memory.
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Win32;

public static class VeilleIdleHelper
{
    [StructLayout(LayoutKind.Sequential)]
    struct LASTINPUTINFO { public uint cbSize; public uint dwTime; }

    [DllImport("user32.dll")]
    static extern bool GetLastInputInfo(ref LASTINPUTINFO info);

    [DllImport("kernel32.dll")]
    static extern uint GetTickCount();

    static string ReadValue(string key, string name)
    {
        using (RegistryKey k = Registry.CurrentUser.OpenSubKey(key))
        {
            object v = k == null ? null : k.GetValue(name);
            return v == null ? null : v.ToString();
        }
    }

    // Same rule as agent/state/windows.py: a group policy wins; Windows keeps
    // ScreenSaveActive=1 with "(None)" chosen, so SCRNSAVE.EXE must be set too.
    static bool ScreenSaverEnabled()
    {
        string policy = ReadValue(@"Software\Policies\Microsoft\Windows\Control Panel\Desktop", "ScreenSaveActive");
        if (policy != null) return policy == "1";
        string active = ReadValue(@"Control Panel\Desktop", "ScreenSaveActive");
        string exe = ReadValue(@"Control Panel\Desktop", "SCRNSAVE.EXE");
        return active == "1" && !string.IsNullOrEmpty(exe);
    }

    public static void Main(string[] args)
    {
        int period = 30;
        if (args.Length > 0) int.TryParse(args[0], out period);
        string dir = Path.Combine(
            Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "veille", "idle");
        Directory.CreateDirectory(dir);
        int session = Process.GetCurrentProcess().SessionId;
        string target = Path.Combine(dir, session.ToString(CultureInfo.InvariantCulture) + ".json");
        string temp = target + ".tmp";
        while (true)
        {
            var info = new LASTINPUTINFO();
            info.cbSize = (uint)Marshal.SizeOf(typeof(LASTINPUTINFO));
            if (GetLastInputInfo(ref info))
            {
                // Both are 32-bit millisecond tick counts: unsigned subtraction survives the
                // wrap every 49.7 days.
                double idle = unchecked(GetTickCount() - info.dwTime) / 1000.0;
                string json = string.Format(CultureInfo.InvariantCulture,
                    "{{\"session\": {0}, \"idle_seconds\": {1:0.0}, \"screensaver\": {2}, \"written_at\": \"{3:yyyy-MM-ddTHH:mm:ssZ}\"}}",
                    session, idle, ScreenSaverEnabled() ? "true" : "false", DateTime.UtcNow);
                try
                {
                    File.WriteAllText(temp, json);
                    if (File.Exists(target)) File.Replace(temp, target, null);
                    else File.Move(temp, target);
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
            Thread.Sleep(period * 1000);
        }
    }
}
