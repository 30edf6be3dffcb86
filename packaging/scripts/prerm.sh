#!/bin/sh
# Stops the service before the binary goes away (not on upgrade: postinst
# restarts it on the new binary).
set -e
case "$1" in
	remove|0) ;;
	*) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
	systemctl --no-reload disable --now missive.service >/dev/null 2>&1 || true
fi
exit 0
