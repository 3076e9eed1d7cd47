"""Interview readiness: timed mock interviews and misconception remediation drills."""
