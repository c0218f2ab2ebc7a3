"""What several test modules share: helpers and sample data, imported from here rather than
from another test module."""
