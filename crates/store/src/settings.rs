//! Workspace settings, playbooks and routing rules: how a workspace closes the loop.
