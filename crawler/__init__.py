"""vnarchive: an archive of Vietnamese provincial government news."""

__version__ = "0.1.0"
