package main

import (
	"fmt"

	"missive/installer"
)

// startRoom is the free space a start needs to take writes: raft writes
// its term at each election and SQLite its WAL and shared memory at the
// first write. Below it the server starts read-only (cluster.Config
// ReadOnly): a clean stop on a full disk used to leave a server that would
// not start again at all.
const startRoom = 16 << 20

// diskFullReason says, in French, why the server starts read-only, "" when
// the data dir's disk has room (or its room cannot be measured: the start
// then tries, and says what fails).
func diskFullReason(data string) string {
	free, _, err := installer.DiskSpace(data)
	if err != nil || free >= startRoom {
		return ""
	}
	return fmt.Sprintf("Disque plein: il ne reste que %d Mo sur le disque du dossier de données %s. "+
		"Missive a démarré en lecture seule: il affiche les courriers et documents mais refuse toute écriture "+
		"(enregistrement, modification, courriel entrant). Libérez de l'espace (plusieurs Go de préférence), "+
		"puis redémarrez Missive (systemctl restart missive): les écritures reprennent au redémarrage.", free>>20, data)
}
