package appliance

// OpenSecret decrypts a stored relay or mailbox password for use.
func (s *Service) OpenSecret(purpose, stored string) (string, error) {
	return s.Secrets.Open(purpose, stored)
}
