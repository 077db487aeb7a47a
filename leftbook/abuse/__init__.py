"""abuse"""
