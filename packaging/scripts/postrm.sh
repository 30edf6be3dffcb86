#!/bin/sh
# The data folder and the missive account are kept, even on purge: the
# letters of a town are never deleted by a package manager. Remove them by
# hand (rm -r /var/lib/missive; deluser missive) once they are backed up.
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
if [ "$1" = purge ]; then
	echo "Missive: les données de /var/lib/missive et le compte missive sont conservés."
fi
exit 0
