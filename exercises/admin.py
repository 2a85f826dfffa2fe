from django.contrib import admin

from common.admin import ReadOnlyAdmin
from exercises.models import CatalogueRevision, ContentPackLoad, Exercise, Step, Theme
from exercises.services import catalogue_changed, practices_rebuild


class CatalogueAdmin(admin.ModelAdmin):
    """Every edit of the catalogue here gives it a new version, so phones fetch it again."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # after the object and its steps
        catalogue_changed(cause=f"{self.opts.verbose_name} “{form.instance}” edited in the admin")

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalogue_changed(cause=f"{self.opts.verbose_name} “{obj}” deleted in the admin")

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        catalogue_changed(cause=f"{self.opts.verbose_name_plural} deleted in the admin")


@admin.register(Theme)
class ThemeAdmin(CatalogueAdmin):
    list_display = ["name", "slug", "position"]


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    ordering = ["position"]


@admin.register(Exercise)
class ExerciseAdmin(CatalogueAdmin):
    list_display = ["title", "theme", "mode", "duration_minutes", "is_active", "content_version"]
    list_filter = ["theme", "mode", "is_active"]
    list_select_related = ["theme"]
    search_fields = ["title", "slug"]
    inlines = [StepInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "theme" in form.changed_data:
            practices_rebuild(exercise_ids=[obj.pk])


@admin.register(CatalogueRevision)
class CatalogueRevisionAdmin(ReadOnlyAdmin):
    """Versions are made by changing the catalogue."""

    list_display = ["id", "cause", "changed_at"]


@admin.register(ContentPackLoad)
class ContentPackLoadAdmin(admin.ModelAdmin):
    list_display = ["version", "checksum", "loaded_at"]
    readonly_fields = ["version", "checksum", "loaded_at"]
