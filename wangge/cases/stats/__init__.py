"""Case statistics: the command-centre indicators from maintained rollups."""
