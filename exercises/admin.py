from django.contrib import admin

from exercises.models import ContentPackLoad, Exercise, Step, Theme
from exercises.services import practices_rebuild


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    ordering = ["position"]


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ["title", "theme", "mode", "duration_minutes", "is_active", "content_version"]
    list_filter = ["theme", "mode", "is_active"]
    list_select_related = ["theme"]
    search_fields = ["title", "slug"]
    inlines = [StepInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "theme" in form.changed_data:
            practices_rebuild(exercise_ids=[obj.pk])


@admin.register(ContentPackLoad)
class ContentPackLoadAdmin(admin.ModelAdmin):
    list_display = ["version", "checksum", "loaded_at"]
    readonly_fields = ["version", "checksum", "loaded_at"]
