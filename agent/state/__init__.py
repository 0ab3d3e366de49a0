"""What the sleep policy needs: idle time, sleep settings, blockers, sleeps seen on resume."""
