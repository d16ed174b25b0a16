"""The web app: staff console (/console), widget demo and assets (/demo, /widget), school plans."""
