"""The Zorgplek kernel: what every service uses and no service owns."""
