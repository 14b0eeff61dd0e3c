DROP TABLE sent_activities;
