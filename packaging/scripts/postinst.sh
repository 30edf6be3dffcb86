#!/bin/sh
# Missive: the missive system account, the data folder, the configuration
# readable by the service. Upgrades keep the data: the server snapshots and
# migrates it itself when it starts.
set -e

# deb: configure [old-version]; rpm: 1 = install, 2 = upgrade.
action="$1"
case "$action" in
	configure|1|2) ;;
	*) exit 0 ;;
esac

if ! getent passwd missive >/dev/null; then
	if [ -e /etc/debian_version ] && command -v adduser >/dev/null; then
		adduser --system --group --home /var/lib/missive --no-create-home \
			--shell /usr/sbin/nologin --gecos Missive --quiet missive
	else
		useradd --system --user-group --home-dir /var/lib/missive --no-create-home \
			--shell /usr/sbin/nologin --comment Missive missive
	fi
fi

install -d -m 0750 -o missive -g missive /var/lib/missive
chown root:missive /etc/missive /etc/missive/missive.toml
chmod 0750 /etc/missive
chmod 0640 /etc/missive/missive.toml

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
	# An upgrade restarts a running service on the new binary; a first
	# install leaves it stopped until `missive quickstart`.
	systemctl try-restart missive.service >/dev/null || true
fi

if [ "$action" = configure ] && [ -z "$2" ] || [ "$action" = 1 ]; then
	echo "Missive est installé. Pour le mettre en service: sudo missive quickstart --hostname courrier.ville.fr"
fi
exit 0
